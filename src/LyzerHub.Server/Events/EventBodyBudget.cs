using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Events;

/// <summary>
/// Caps the bytes of events bodies held in memory across all requests at once (PRODUCT.md §8), so a burst of
/// large requests gets 503 overloaded instead of exhausting memory. Each request takes a
/// <see cref="EventBodyLease"/> that grows as its body is read and gives everything back when disposed, after the
/// request's events are written.
/// </summary>
public sealed class EventBodyBudget
{
    // Known gap: a lease counts the raw body buffer, not the parsed events (UTF-16 strings, about twice the bytes
    // of ASCII text) that live until the write; counting those as items are built would make the cap exact.
    private readonly long _maxBytes;
    private long _inUse;

    public EventBodyBudget(IOptions<EventsOptions> options)
        : this(options?.Value.MaxBodyBytesInFlight ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    public EventBodyBudget(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxBytes = maxBytes;
    }

    /// <summary>Bytes currently reserved by all leases.</summary>
    public long InUse => Interlocked.Read(ref _inUse);

    public EventBodyLease CreateLease() => new(this);

    internal bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _inUse, bytes) <= _maxBytes) return true;
        Interlocked.Add(ref _inUse, -bytes);
        return false;
    }

    internal void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}

/// <summary>One request's share of the <see cref="EventBodyBudget"/>; used by one request at a time.</summary>
public sealed class EventBodyLease : IDisposable
{
    private readonly EventBodyBudget _budget;
    private long _reserved;

    internal EventBodyLease(EventBodyBudget budget) => _budget = budget;

    public long Reserved => _reserved;

    /// <summary>Grows the lease to <paramref name="bytes"/> in all; false when the budget cannot spare it.</summary>
    public bool TryGrowTo(long bytes)
    {
        if (bytes <= _reserved) return true;
        if (!_budget.TryReserve(bytes - _reserved)) return false;
        _reserved = bytes;
        return true;
    }

    public void Dispose()
    {
        _budget.Release(_reserved);
        _reserved = 0;
    }
}
