using LyzerHub.Server.RateLimits;

namespace LyzerHub.Server.Tests.RateLimits;

public sealed class InMemoryRateLimitStoreTests : RateLimitStoreContractTests
{
    protected override IRateLimitStore CreateStore(TimeProvider time) => new InMemoryRateLimitStore(time);

    [Fact]
    public async Task Sweep_WindowsThatEnded_Dropped()
    {
        var store = (InMemoryRateLimitStore)Store;
        for (var i = 0; i < 100; i++)
            await store.AcquireAsync(new RateLimitWindow($"address:198.51.100.{i}", 60, 10), null, default);
        await store.AcquireAsync(new RateLimitWindow("key_long", 60, 3600), null, default);

        Time.Advance(InMemoryRateLimitStore.SweepInterval);

        // The sweep ran on the store's own clock: only the window still running is kept.
        Assert.Equal(1, store.PartitionCount);
        Assert.Equal(58, (await store.AcquireAsync(new RateLimitWindow("key_long", 60, 3600), null, default))
            .First.Remaining);
    }

    [Fact]
    public async Task Sweep_PartitionUsedAgainAfterItsWindowWasDropped_StartsAFreshWindow()
    {
        var store = (InMemoryRateLimitStore)Store;
        var window = new RateLimitWindow("key_a", 1, 10);
        await store.AcquireAsync(window, null, default);
        Time.Advance(InMemoryRateLimitStore.SweepInterval);

        var again = await store.AcquireAsync(window, null, default);

        Assert.True(again.Acquired);
        Assert.Equal(1, store.PartitionCount);
    }
}
