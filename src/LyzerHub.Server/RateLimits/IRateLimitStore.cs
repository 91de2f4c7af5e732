namespace LyzerHub.Server.RateLimits;

/// <summary>
/// One fixed window to take a permit from: at most <see cref="Limit"/> requests per <see cref="WindowSeconds"/> in
/// <see cref="Partition"/> (a key id, a tenant id, or a prefixed client address). A partition's window starts at its
/// first request and lasts <see cref="WindowSeconds"/>; the next request after it ends starts a new one.
/// </summary>
public readonly record struct RateLimitWindow(string Partition, int Limit, int WindowSeconds);

/// <summary>A window after a decision: permits left in it and how long until it ends.</summary>
public readonly record struct RateLimitWindowState(int Remaining, TimeSpan ResetAfter);

/// <summary>
/// The store's answer: whether the permit was taken, and each window's state afterwards (<see cref="Second"/> is
/// default when only one window was asked). When refused, every window with no permit left is one that refused.
/// </summary>
public readonly record struct RateLimitDecision(bool Acquired, RateLimitWindowState First, RateLimitWindowState Second);

/// <summary>
/// Where the hub's rate-limit counters live. In memory on one node now; a Redis implementation in the scale-out work
/// shares them across nodes and must pass the same contract tests (<c>RateLimitStoreContractTests</c>). Time comes
/// from the store's <see cref="TimeProvider"/>, so tests drive windows with fake time.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>
    /// Takes one permit from both windows or from neither: a request refused by its tenant's window does not use up
    /// its key's. Concurrent callers never get more permits than a window's limit.
    /// </summary>
    ValueTask<RateLimitDecision> AcquireAsync(
        RateLimitWindow first, RateLimitWindow? second, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="AcquireAsync"/> when the store can decide without waiting for I/O: true with the decision, or false
    /// having taken nothing (a store across the network may always answer false). Lets a synchronous caller, like
    /// <c>PartitionedRateLimiter.AttemptAcquire</c>, skip the asynchronous path.
    /// </summary>
    bool TryAcquire(RateLimitWindow first, RateLimitWindow? second, out RateLimitDecision decision);

    /// <summary>
    /// The window's state now, taking nothing. A window not yet opened (or ended) shows its whole limit and length:
    /// that is what the next request would find.
    /// </summary>
    ValueTask<RateLimitWindowState> PeekAsync(RateLimitWindow window, CancellationToken cancellationToken);
}
