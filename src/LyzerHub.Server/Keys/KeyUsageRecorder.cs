using System.Collections.Concurrent;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Keys;

/// <summary>
/// Counts each key's requests in memory so that a request never waits for a store write; the
/// <see cref="KeyUsageFlusher"/> drains the counts in batches. Recording is lock-free and, once a key has a
/// counter, allocation-free: an interlocked add and a compare-and-swap on the last-used instant.
/// </summary>
public sealed class KeyUsageRecorder(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly Lock _drainLock = new();
    private List<Counter> _retired = [];

    /// <summary>Counts one request served with the key, now.</summary>
    public void Record(string keyId)
    {
        var at = time.GetUtcNow().UtcTicks;
        if (!_counters.TryGetValue(keyId, out var counter))
            counter = _counters.GetOrAdd(keyId, static id => new Counter(id));

        Interlocked.Increment(ref counter.Requests);
        var last = Volatile.Read(ref counter.LastUsedTicks);
        while (at > last)
        {
            var seen = Interlocked.CompareExchange(ref counter.LastUsedTicks, at, last);
            if (seen == last) break;
            last = seen;
        }
    }

    /// <summary>
    /// Takes what was counted since the last drain. A key idle for a whole period loses its counter, so memory
    /// follows the keys in use, not every key ever seen.
    /// </summary>
    public IReadOnlyList<KeyUsage> Drain()
    {
        lock (_drainLock)
        {
            var usage = new List<KeyUsage>();
            // A counter removed at the last drain may still have been incremented by a request that had looked it
            // up just before: draining it once more keeps that count.
            foreach (var counter in _retired) Take(counter, usage);
            _retired = [];

            foreach (var (id, counter) in _counters)
            {
                if (!Take(counter, usage) && _counters.TryRemove(new KeyValuePair<string, Counter>(id, counter)))
                    _retired.Add(counter);
            }

            return usage;
        }
    }

    private static bool Take(Counter counter, List<KeyUsage> usage)
    {
        var requests = Interlocked.Exchange(ref counter.Requests, 0);
        if (requests == 0) return false;

        var at = new DateTimeOffset(Volatile.Read(ref counter.LastUsedTicks), TimeSpan.Zero);
        usage.Add(new KeyUsage(counter.KeyId, requests, at));
        return true;
    }

    private sealed class Counter(string keyId)
    {
        public readonly string KeyId = keyId;
        public long Requests;
        public long LastUsedTicks;
    }
}
