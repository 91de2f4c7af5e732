using System.Collections.Concurrent;

namespace LyzerHub.Server.RateLimits;

// Known gap: counters are per node, so N hub nodes allow N times each limit — the scale-out issue's Redis
// IRateLimitStore (one Lua script per acquire, taking "now" from the caller's TimeProvider) shares them and must
// pass RateLimitStoreContractTests.
/// <summary>
/// Rate-limit counters in this process: one small window object per partition, each guarded by its own lock, so
/// requests of different keys never contend and a burst on one key is counted exactly. Windows that ended are swept
/// on a timer of the injected clock, so memory follows the partitions active in the last window, not every key or
/// address ever seen.
/// </summary>
public sealed class InMemoryRateLimitStore : IRateLimitStore, IDisposable
{
    /// <summary>How often ended windows are dropped.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private static readonly Func<string, Window> s_newWindow = _ => new Window();

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public InMemoryRateLimitStore(TimeProvider time)
    {
        _time = time;
        _sweeper = time.CreateTimer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>How many partitions hold a window now; for tests of the memory bound.</summary>
    public int PartitionCount => _windows.Count;

    public ValueTask<RateLimitDecision> AcquireAsync(
        RateLimitWindow first, RateLimitWindow? second, CancellationToken cancellationToken) =>
        new(Acquire(first, second));

    /// <summary>Always decides: nothing here waits for I/O.</summary>
    public bool TryAcquire(RateLimitWindow first, RateLimitWindow? second, out RateLimitDecision decision)
    {
        decision = Acquire(first, second);
        return true;
    }

    private RateLimitDecision Acquire(RateLimitWindow first, RateLimitWindow? second)
    {
        if (second is { } other && other.Partition == first.Partition)
            throw new ArgumentException("The two windows must be of different partitions.", nameof(second));

        var now = _time.GetUtcNow().UtcTicks;
        while (true)
        {
            var a = _windows.GetOrAdd(first.Partition, s_newWindow);
            if (second is not { } secondWindow)
            {
                lock (a.Gate)
                {
                    if (a.Removed) continue;
                    var acquired = a.TryTake(first, now);
                    return new RateLimitDecision(acquired, a.State(first, now), default);
                }
            }

            var b = _windows.GetOrAdd(secondWindow.Partition, s_newWindow);
            // Locks are always taken in partition order, so two callers asking for the same pair in opposite order
            // cannot deadlock.
            var (lower, higher) = string.CompareOrdinal(first.Partition, secondWindow.Partition) < 0 ? (a, b) : (b, a);
            lock (lower.Gate)
            {
                lock (higher.Gate)
                {
                    if (a.Removed || b.Removed) continue;
                    a.Roll(first, now);
                    b.Roll(secondWindow, now);
                    var acquired = a.Count < first.Limit && b.Count < secondWindow.Limit;
                    if (acquired)
                    {
                        a.Count++;
                        b.Count++;
                    }

                    return new RateLimitDecision(acquired, a.State(first, now), b.State(secondWindow, now));
                }
            }
        }
    }

    public ValueTask<RateLimitWindowState> PeekAsync(RateLimitWindow window, CancellationToken cancellationToken)
    {
        var unopened = new RateLimitWindowState(window.Limit, TimeSpan.FromSeconds(window.WindowSeconds));
        if (!_windows.TryGetValue(window.Partition, out var existing)) return new(unopened);

        var now = _time.GetUtcNow().UtcTicks;
        lock (existing.Gate)
        {
            return new(existing.Removed || existing.HasEnded(window, now) ? unopened : existing.State(window, now));
        }
    }

    public void Dispose() => _sweeper.Dispose();

    /// <summary>Drops windows that have ended; a request arriving for one afterwards starts a new window.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow().UtcTicks;
        foreach (var (partition, window) in _windows)
        {
            lock (window.Gate)
            {
                if (window.Removed || now < window.EndTicks) continue;
                // Marked under its lock, so a caller that fetched this object before the removal retries with a new
                // one instead of counting into a window nobody will read again.
                window.Removed = true;
                _windows.TryRemove(new KeyValuePair<string, Window>(partition, window));
            }
        }
    }

    private sealed class Window
    {
        public readonly Lock Gate = new();
        public long StartTicks;
        public long EndTicks;
        public int Count;
        public bool Removed;

        public bool HasEnded(RateLimitWindow window, long now) =>
            now >= StartTicks + window.WindowSeconds * TimeSpan.TicksPerSecond;

        /// <summary>Starts a new window when the last has ended (a new object's "last" ended long ago).</summary>
        public void Roll(RateLimitWindow window, long now)
        {
            // The length is the caller's: a tenant that shortens its window sees the change on its next request.
            if (HasEnded(window, now))
            {
                StartTicks = now;
                Count = 0;
            }

            EndTicks = StartTicks + window.WindowSeconds * TimeSpan.TicksPerSecond;
        }

        public bool TryTake(RateLimitWindow window, long now)
        {
            Roll(window, now);
            if (Count >= window.Limit) return false;
            Count++;
            return true;
        }

        public RateLimitWindowState State(RateLimitWindow window, long now) => new(Math.Max(0, window.Limit - Count),
            TimeSpan.FromTicks(StartTicks + window.WindowSeconds * TimeSpan.TicksPerSecond - now));
    }
}
