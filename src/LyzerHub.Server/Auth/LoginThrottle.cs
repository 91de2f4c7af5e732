using System.Collections.Concurrent;
using System.Net;
using LyzerHub.Server.Hosting;

namespace LyzerHub.Server.Auth;

/// <summary>
/// Login failure throttling (PRODUCT.md §4.1). After 5 consecutive failures for one (username, client address)
/// further attempts wait, the wait doubling from 1 s up to 15 min, until a success resets it; one address failing
/// 50 times within 15 minutes across usernames waits the same way. Keying by address as well as username means
/// an attacker elsewhere cannot lock a user out, and unknown usernames are counted exactly like known ones.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int FailuresBeforeThrottle = 5;
    public const int AddressFailuresPerWindow = 50;
    public static readonly TimeSpan AddressWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(15);

    // Pruning keeps memory bounded when an attacker sprays made-up usernames from many addresses.
    private const int OperationsBetweenPrunes = 1024;

    private readonly ConcurrentDictionary<(string Username, string Address), Streak> _pairs = new();
    private readonly ConcurrentDictionary<string, AddressFailures> _addresses = new();
    private int _operations;

    /// <summary>How long this attempt must still wait; zero when it may go ahead.</summary>
    public TimeSpan WaitBeforeAttempt(string usernameKey, IPAddress? address)
    {
        var now = time.GetUtcNow();
        var client = AddressKey(address);
        var wait = TimeSpan.Zero;
        if (_pairs.TryGetValue((usernameKey, client), out var streak)) wait = streak.WaitAt(now);
        if (_addresses.TryGetValue(client, out var failures))
        {
            var addressWait = failures.WaitAt(now);
            if (addressWait > wait) wait = addressWait;
        }

        return wait;
    }

    public void RecordFailure(string usernameKey, IPAddress? address)
    {
        var now = time.GetUtcNow();
        var client = AddressKey(address);
        _pairs.GetOrAdd((usernameKey, client), _ => new Streak()).Fail(now);
        _addresses.GetOrAdd(client, _ => new AddressFailures()).Fail(now);
        PruneNowAndThen(now);
    }

    /// <summary>A success ends the (username, address) streak; the address's window keeps counting.</summary>
    public void RecordSuccess(string usernameKey, IPAddress? address)
    {
        _pairs.TryRemove((usernameKey, AddressKey(address)), out _);
        PruneNowAndThen(time.GetUtcNow());
    }

    /// <summary>The doubling wait after the n-th failure past the allowance: 1 s, 2 s, 4 s … at most 15 min.</summary>
    internal static TimeSpan WaitAfter(int failuresPastAllowance)
    {
        if (failuresPastAllowance <= 0) return TimeSpan.Zero;
        var exponent = Math.Min(failuresPastAllowance - 1, 20);
        var wait = TimeSpan.FromSeconds(1L << exponent);
        return wait < MaxWait ? wait : MaxWait;
    }

    private static string AddressKey(IPAddress? address) => ClientAddresses.Of(address) ?? "unknown";

    private void PruneNowAndThen(DateTimeOffset now)
    {
        if (Interlocked.Increment(ref _operations) % OperationsBetweenPrunes != 0) return;
        foreach (var (key, streak) in _pairs)
        {
            if (streak.IsStale(now)) _pairs.TryRemove(key, out _);
        }

        foreach (var (key, failures) in _addresses)
        {
            if (failures.IsStale(now)) _addresses.TryRemove(key, out _);
        }
    }

    private sealed class Streak
    {
        private readonly Lock _lock = new();
        private int _failures;
        private DateTimeOffset _blockedUntil;
        private DateTimeOffset _lastFailure;

        public void Fail(DateTimeOffset now)
        {
            lock (_lock)
            {
                _failures++;
                _lastFailure = now;
                var wait = WaitAfter(_failures - FailuresBeforeThrottle + 1);
                if (wait > TimeSpan.Zero) _blockedUntil = now + wait;
            }
        }

        public TimeSpan WaitAt(DateTimeOffset now)
        {
            lock (_lock) return _blockedUntil > now ? _blockedUntil - now : TimeSpan.Zero;
        }

        // A streak nobody has touched for longer than the longest wait can no longer throttle anyone.
        public bool IsStale(DateTimeOffset now)
        {
            lock (_lock) return now - _lastFailure > MaxWait && now >= _blockedUntil;
        }
    }

    private sealed class AddressFailures
    {
        private readonly Lock _lock = new();
        private readonly Queue<DateTimeOffset> _recent = new();
        private int _overLimit;
        private DateTimeOffset _blockedUntil;

        public void Fail(DateTimeOffset now)
        {
            lock (_lock)
            {
                Expire(now);
                _recent.Enqueue(now);
                if (_recent.Count < AddressFailuresPerWindow) return;

                // Only the newest failures matter once over the limit; dropping the rest bounds the queue.
                while (_recent.Count > AddressFailuresPerWindow) _recent.Dequeue();
                _overLimit++;
                _blockedUntil = now + WaitAfter(_overLimit);
            }
        }

        public TimeSpan WaitAt(DateTimeOffset now)
        {
            lock (_lock) return _blockedUntil > now ? _blockedUntil - now : TimeSpan.Zero;
        }

        public bool IsStale(DateTimeOffset now)
        {
            lock (_lock)
            {
                Expire(now);
                return _recent.Count == 0 && now >= _blockedUntil;
            }
        }

        private void Expire(DateTimeOffset now)
        {
            while (_recent.Count > 0 && now - _recent.Peek() > AddressWindow) _recent.Dequeue();
            if (_recent.Count == 0) _overLimit = 0;
        }
    }
}
