using LyzerHub.Server.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Tests.Events;

public sealed class EventWriterTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset s_now = new(2026, 12, 3, 19, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TryEnqueue_OneRequest_CompletesWithFlagsAfterAppend()
    {
        var store = new InMemoryEventStore();
        await using var writer = await StartAsync(store);

        var queued = writer.TryEnqueue([Event("a"), Event("b")], out var committed);
        var flags = await committed!.WaitAsync(s_timeout);

        Assert.True(queued);
        Assert.Equal([false, false], flags);
        Assert.Equal(["a", "b"], store.Stored.Select(e => e.Id));
    }

    [Fact]
    public async Task TryEnqueue_EmptyList_CompletesWithoutAppend()
    {
        var store = new InMemoryEventStore();
        await using var writer = await StartAsync(store);

        var queued = writer.TryEnqueue([], out var committed);
        var flags = await committed!.WaitAsync(s_timeout);

        Assert.True(queued);
        Assert.Empty(flags);
        Assert.Empty(store.AppendSizes);
    }

    [Fact]
    public async Task TryEnqueue_ConcurrentRequests_CoalescedIntoFewerAppends()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store);
        var first = Enqueue(writer, Event("first"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);

        var waiting = Enumerable.Range(0, 9).Select(i => Enqueue(writer, Event($"e{i}"))).ToList();
        store.Open();
        await Task.WhenAll(waiting.Append(first)).WaitAsync(s_timeout);

        Assert.Equal([1, 9], store.AppendSizes);
        Assert.Equal(1, store.MaxConcurrentAppends);
        Assert.Equal(10, store.Stored.Count);
    }

    [Fact]
    public async Task TryEnqueue_CapReached_SplitsAppendsAtRequestBoundaries()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store, maxEventsPerAppend: 4);
        var first = Enqueue(writer, Event("a1"), Event("a2"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);

        var second = Enqueue(writer, Event("b1"), Event("b2"));
        var third = Enqueue(writer, Event("c1"), Event("c2"));
        var fourth = Enqueue(writer, Event("d1"), Event("d2"));
        store.Open();
        await Task.WhenAll(first, second, third, fourth).WaitAsync(s_timeout);

        Assert.Equal([2, 4, 2], store.AppendSizes);
    }

    [Fact]
    public async Task TryEnqueue_DuplicatesAcrossRequests_FlagsRoutedToTheirRequest()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store);
        var blocker = Enqueue(writer, Event("old"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);

        var a = Enqueue(writer, Event("x"), Event("y"), Event("old"));
        var b = Enqueue(writer, Event("y"), Event("z"));
        var c = Enqueue(writer, Event("x", tenantId: "ten_other"));
        store.Open();

        var flags = await Task.WhenAll(blocker, a, b, c).WaitAsync(s_timeout);

        Assert.Equal([false], flags[0]);
        Assert.Equal([false, false, true], flags[1]);
        Assert.Equal([true, false], flags[2]);
        Assert.Equal([false], flags[3]);
    }

    [Fact]
    public async Task TryEnqueue_SameIdConcurrently_FirstWriteWins()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store);
        var blocker = Enqueue(writer, Event("blocker"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);

        var earlier = Enqueue(writer, Event("same", name: "earlier"));
        var later = Enqueue(writer, Event("same", name: "later"));
        store.Open();

        var flags = await Task.WhenAll(blocker, earlier, later).WaitAsync(s_timeout);

        Assert.Equal([false], flags[1]);
        Assert.Equal([true], flags[2]);
        Assert.Equal("earlier", Assert.Single(store.Stored, e => e.Id == "same").Name);
    }

    [Fact]
    public async Task TryEnqueue_StoreFails_EveryWaiterFaultsAndNothingIsStored()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store);
        var first = Enqueue(writer, Event("a"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);
        var second = Enqueue(writer, Event("b"));
        var third = Enqueue(writer, Event("c"));

        var cause = new IOException("disk full");
        store.Failure = cause;
        store.Open();

        foreach (var waiter in new[] { first, second, third })
        {
            var failure = await Assert.ThrowsAsync<EventWriteFailedException>(() => waiter.WaitAsync(s_timeout));
            Assert.Same(cause, failure.InnerException);
        }

        Assert.Empty(store.Stored);
    }

    [Fact]
    public async Task TryEnqueue_StoreRecovers_LaterRequestsSucceed()
    {
        var store = new InMemoryEventStore { Failure = new IOException("disk full") };
        await using var writer = await StartAsync(store);
        await Assert.ThrowsAsync<EventWriteFailedException>(() => Enqueue(writer, Event("a")).WaitAsync(s_timeout));

        store.Failure = null;
        var flags = await Enqueue(writer, Event("a")).WaitAsync(s_timeout);

        Assert.Equal([false], flags);
    }

    [Fact]
    public async Task TryEnqueue_QueueFull_RefusesWithoutStoring()
    {
        var store = new InMemoryEventStore(gated: true);
        await using var writer = await StartAsync(store, queueCapacity: 1);
        var first = Enqueue(writer, Event("a"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);
        var second = Enqueue(writer, Event("b"));

        var queued = writer.TryEnqueue([Event("c")], out var refused);
        store.Open();
        await Task.WhenAll(first, second).WaitAsync(s_timeout);

        Assert.False(queued);
        Assert.Null(refused);
        Assert.Equal(["a", "b"], store.Stored.Select(e => e.Id));
    }

    [Fact]
    public async Task StopAsync_RequestsQueued_DrainsThemAndRefusesNewOnes()
    {
        var store = new InMemoryEventStore(gated: true);
        var writer = await StartAsync(store);
        var first = Enqueue(writer, Event("a"));
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);
        var second = Enqueue(writer, Event("b"));

        var stopping = writer.StopAsync(CancellationToken.None);
        var queuedAfterStop = writer.TryEnqueue([Event("c")], out _);
        store.Open();
        await stopping.WaitAsync(s_timeout);

        Assert.False(queuedAfterStop);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.Equal(["a", "b"], store.Stored.Select(e => e.Id));
        writer.Dispose();
    }

    private static async Task<StoppingWriter> StartAsync(
        InMemoryEventStore store, int queueCapacity = 64, int maxEventsPerAppend = 20_000)
    {
        var options = Options.Create(new EventsOptions
        {
            QueueCapacity = queueCapacity,
            MaxEventsPerAppend = maxEventsPerAppend,
        });
        var writer = new StoppingWriter(new EventWriter(store, options, NullLogger<EventWriter>.Instance));
        await writer.Inner.StartAsync(CancellationToken.None);
        return writer;
    }

    private static Task<bool[]> Enqueue(StoppingWriter writer, params StoredEvent[] events)
    {
        Assert.True(writer.TryEnqueue(events, out var committed));
        return committed!;
    }

    private static StoredEvent Event(string id, string name = "signup", string tenantId = "ten_test") =>
        new(tenantId, id, name, s_now, null, "{}", s_now);

    /// <summary>Stops the writer when a test ends, so no background loop outlives its test.</summary>
    private sealed class StoppingWriter(EventWriter inner) : IAsyncDisposable, IDisposable
    {
        public EventWriter Inner { get; } = inner;

        public bool TryEnqueue(IReadOnlyList<StoredEvent> events, out Task<bool[]>? committed) =>
            Inner.TryEnqueue(events, out committed);

        public Task StopAsync(CancellationToken cancellationToken) => Inner.StopAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await Inner.StopAsync(CancellationToken.None).WaitAsync(s_timeout);
            Inner.Dispose();
        }

        public void Dispose() => Inner.Dispose();
    }
}
