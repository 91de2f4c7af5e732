using LyzerHub.Client.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Client.Tests;

public sealed class EventSenderTests
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

    [Fact]
    public async Task Dispose_EventsStillQueued_AllReachTheHub()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync(permissions: ["write:events", "read:metrics"])).Key;
        // Fake time that is never advanced: the flush interval never fires, so only size and dispose send.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = hub.Services(o => o.Key = key, time).GetRequiredService<LyzerHubClient>();
        var sender = client.CreateEventSender(new LyzerEventSenderOptions
        {
            BatchSize = 100,
            FlushInterval = TimeSpan.FromHours(1),
        });

        for (var i = 0; i < 1050; i++)
            Assert.True(sender.Track("signup", "user-" + i, new Dictionary<string, object?> { ["n"] = i }));
        await sender.DisposeAsync();

        Assert.Equal(1050, sender.Accepted);
        Assert.Equal(0, sender.Dropped);
        Assert.Equal(0, sender.Duplicates);
        var names = await client.ListEventNamesAsync(Timeout);
        Assert.Equal(1050, Assert.Single(names, n => n.Name == "signup").Count);
    }

    [Fact]
    public async Task Track_FewerThanABatch_SentWhenTheFlushIntervalPasses()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync(permissions: ["write:events"])).Key;
        var time = new TimerSignalingTimeProvider(DateTimeOffset.UtcNow);
        var client = hub.Services(o => o.Key = key, time).GetRequiredService<LyzerHubClient>();
        await using var sender = client.CreateEventSender(new LyzerEventSenderOptions
        {
            BatchSize = 100,
            FlushInterval = TimeSpan.FromSeconds(2),
        });
        var settled = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        sender.BatchSettled += count => settled.TrySetResult(count);

        Assert.True(sender.Track("a"));
        Assert.True(sender.Track("b"));
        Assert.True(sender.Track("c"));
        await time.WaitForShortTimerAsync(Timeout);
        Assert.False(settled.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(3, await settled.Task.WaitAsync(Timeout));
        Assert.Equal(3, sender.Accepted);
    }

    [Fact]
    public async Task Track_QueueFull_DropsAreCountedNeverSilent()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync(permissions: ["write:events"])).Key;
        var gate = new GatedKeyProvider(key);
        await using var services = new ServiceCollection().AddSingleton<IKeyProvider>(gate).AddLyzerHubClient(o =>
        {
            o.HubUrl = hub.BaseAddress;
            o.CaCertificatePath = hub.CertificatePath;
        }).BuildServiceProvider();
        var sender = services.GetRequiredService<LyzerHubClient>().CreateEventSender(new LyzerEventSenderOptions
        {
            BatchSize = 1,
            MaxQueuedEvents = 5,
        });

        // The first send waits for a key that the test holds back, so the queue fills up behind it.
        var queued = Enumerable.Range(0, 20).Count(i => sender.Track("click", "u" + i));
        gate.Open();
        await sender.DisposeAsync();

        Assert.InRange(queued, 5, 6);
        Assert.Equal(20 - queued, sender.Dropped);
        Assert.Equal(queued, sender.Accepted);
    }

    [Fact]
    public async Task SendEvents_WithoutIds_GetsUuidsSoARetryCannotDoubleCount()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync(permissions: ["write:events"])).Key;
        var client = hub.Client(key);

        var result = await client.SendEventsAsync([new LyzerEvent("a"), new LyzerEvent("b", Id: "fixed-1")], Timeout);
        var again = await client.SendEventsAsync([new LyzerEvent("b", Id: "fixed-1")], Timeout);

        Assert.Equal(2, result.Accepted);
        Assert.True(Guid.TryParse(result.Results[0].Id, out _));
        Assert.Equal("fixed-1", result.Results[1].Id);
        Assert.Equal(1, again.Duplicates);
    }

    private sealed class GatedKeyProvider(string key) : IKeyProvider
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public async ValueTask<string> GetKeyAsync(CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            return key;
        }

        public ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken) =>
            ValueTask.FromResult<string?>(null);
    }
}
