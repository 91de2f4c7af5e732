using LyzerHub.Server.RateLimits;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.RateLimits;

/// <summary>
/// What every <see cref="IRateLimitStore"/> must do, run unchanged against each implementation (in memory now,
/// Redis with the scale-out work). Time is a <see cref="FakeTimeProvider"/> the store is built on.
/// </summary>
public abstract class RateLimitStoreContractTests : IDisposable
{
    private IRateLimitStore? _store;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, 250, TimeSpan.Zero));

    protected IRateLimitStore Store => _store ??= CreateStore(Time);

    /// <summary>A fresh, empty store whose clock is <paramref name="time"/>.</summary>
    protected abstract IRateLimitStore CreateStore(TimeProvider time);

    [Fact]
    public async Task Acquire_UpToTheLimit_GrantedThenRefused()
    {
        var window = new RateLimitWindow("key_a", 3, 60);
        var granted = new List<bool>();

        for (var i = 0; i < 5; i++) granted.Add((await Store.AcquireAsync(window, null, default)).Acquired);

        Assert.Equal([true, true, true, false, false], granted);
    }

    [Fact]
    public async Task Acquire_FirstOfAWindow_FullWindowAheadAndOneUsed()
    {
        var decision = await Store.AcquireAsync(new RateLimitWindow("key_a", 10, 60), null, default);

        Assert.True(decision.Acquired);
        Assert.Equal(new RateLimitWindowState(9, TimeSpan.FromSeconds(60)), decision.First);
    }

    [Fact]
    public async Task Acquire_LaterInTheWindow_ResetCountsDownFromTheFirstRequest()
    {
        var window = new RateLimitWindow("key_a", 10, 60);
        await Store.AcquireAsync(window, null, default);
        Time.Advance(TimeSpan.FromSeconds(12.5));

        var decision = await Store.AcquireAsync(window, null, default);

        Assert.Equal(new RateLimitWindowState(8, TimeSpan.FromSeconds(47.5)), decision.First);
    }

    [Fact]
    public async Task Acquire_AfterTheWindowEnds_FullLimitAgain()
    {
        var window = new RateLimitWindow("key_a", 2, 10);
        await Store.AcquireAsync(window, null, default);
        await Store.AcquireAsync(window, null, default);
        var refused = await Store.AcquireAsync(window, null, default);
        Time.Advance(TimeSpan.FromSeconds(9.999));
        var stillRefused = await Store.AcquireAsync(window, null, default);
        Time.Advance(TimeSpan.FromMilliseconds(1));

        var renewed = await Store.AcquireAsync(window, null, default);

        Assert.False(refused.Acquired);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.First.ResetAfter);
        Assert.False(stillRefused.Acquired);
        Assert.True(renewed.Acquired);
        Assert.Equal(new RateLimitWindowState(1, TimeSpan.FromSeconds(10)), renewed.First);
    }

    [Fact]
    public async Task Acquire_TwoWindowsOneUsedUp_NeitherIsTaken()
    {
        var key = new RateLimitWindow("key_a", 5, 60);
        var tenant = new RateLimitWindow("ten_a", 1, 60);
        await Store.AcquireAsync(new RateLimitWindow("key_b", 5, 60), tenant, default);

        var refused = await Store.AcquireAsync(key, tenant, default);
        var keyAlone = await Store.AcquireAsync(key, null, default);

        Assert.False(refused.Acquired);
        Assert.Equal(5, refused.First.Remaining);
        Assert.Equal(0, refused.Second.Remaining);
        // The refused request left the key's window untouched: this is the first permit taken from it.
        Assert.Equal(4, keyAlone.First.Remaining);
    }

    [Fact]
    public async Task Acquire_TwoWindows_BothCounted()
    {
        var decision = await Store.AcquireAsync(new RateLimitWindow("key_a", 5, 60),
            new RateLimitWindow("ten_a", 100, 30), default);

        Assert.True(decision.Acquired);
        Assert.Equal(new RateLimitWindowState(4, TimeSpan.FromSeconds(60)), decision.First);
        Assert.Equal(new RateLimitWindowState(99, TimeSpan.FromSeconds(30)), decision.Second);
    }

    [Fact]
    public async Task Acquire_OtherPartition_Independent()
    {
        var used = new RateLimitWindow("ten_a", 1, 60);
        await Store.AcquireAsync(used, null, default);

        var other = await Store.AcquireAsync(new RateLimitWindow("ten_b", 1, 60), null, default);

        Assert.False((await Store.AcquireAsync(used, null, default)).Acquired);
        Assert.True(other.Acquired);
    }

    [Fact]
    public async Task Acquire_LimitLowered_AppliesToTheCurrentWindow()
    {
        for (var i = 0; i < 3; i++) await Store.AcquireAsync(new RateLimitWindow("key_a", 10, 60), null, default);

        var decision = await Store.AcquireAsync(new RateLimitWindow("key_a", 3, 60), null, default);

        Assert.False(decision.Acquired);
        Assert.Equal(0, decision.First.Remaining);
    }

    [Fact]
    public async Task Acquire_ConcurrentBurst_ExactlyTheLimitGranted()
    {
        var key = new RateLimitWindow("key_a", 10, 60);
        var tenant = new RateLimitWindow("ten_a", 1000, 60);
        // Made before the burst: the lazy Store property is not for racing threads, and a second store would count
        // a second, separate burst.
        var store = Store;
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return (await store.AcquireAsync(key, tenant, default)).Acquired;
        })).ToArray();

        start.Set();
        var granted = (await Task.WhenAll(tasks)).Count(acquired => acquired);

        Assert.Equal(10, granted);
        // The tenant's window counted the ten granted requests only, plus this one.
        Assert.Equal(989, (await Store.AcquireAsync(new RateLimitWindow("key_b", 1, 60), tenant, default))
            .Second.Remaining);
    }

    [Fact]
    public async Task TryAcquire_WhenItDecides_CountsExactlyLikeAcquire()
    {
        var key = new RateLimitWindow("key_a", 2, 60);
        var tenant = new RateLimitWindow("ten_a", 100, 60);
        var decided = new List<bool>();

        for (var i = 0; i < 3; i++)
        {
            // A store that cannot decide without I/O answers false and must have taken nothing: the async call counts.
            if (Store.TryAcquire(key, tenant, out var decision)) decided.Add(decision.Acquired);
            else decided.Add((await Store.AcquireAsync(key, tenant, default)).Acquired);
        }

        Assert.Equal([true, true, false], decided);
        Assert.Equal(97, (await Store.AcquireAsync(new RateLimitWindow("key_b", 1, 60), tenant, default))
            .Second.Remaining);
    }

    [Fact]
    public async Task Peek_TakesNoPermitAndFollowsTheWindow()
    {
        var window = new RateLimitWindow("failed_authentication:203.0.113.7", 2, 60);
        var fresh = await Store.PeekAsync(window, default);
        await Store.AcquireAsync(window, null, default);
        Time.Advance(TimeSpan.FromSeconds(15));
        var oneLeft = await Store.PeekAsync(window, default);
        await Store.AcquireAsync(window, null, default);
        var usedUp = await Store.PeekAsync(window, default);
        Time.Advance(TimeSpan.FromSeconds(45));

        var afterWindow = await Store.PeekAsync(window, default);

        Assert.Equal(new RateLimitWindowState(2, TimeSpan.FromSeconds(60)), fresh);
        Assert.Equal(new RateLimitWindowState(1, TimeSpan.FromSeconds(45)), oneLeft);
        Assert.Equal(new RateLimitWindowState(0, TimeSpan.FromSeconds(45)), usedUp);
        Assert.Equal(new RateLimitWindowState(2, TimeSpan.FromSeconds(60)), afterWindow);
        Assert.Equal(1, (await Store.AcquireAsync(window, null, default)).First.Remaining);
    }

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }
}
