using LyzerHub.Server.Events;
using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.Storage;

/// <summary>
/// Where events live and where metrics are computed. The embedded implementation is DuckDB; a ClickHouse one
/// comes with the scale-out work and must pass the same contract tests.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Creates the schema if needed. Called once at start, before any other member.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the events atomically and durably: when the task completes, every non-duplicate is committed;
    /// when it throws, nothing was stored. Returns, per event, whether it was a duplicate: an event of the same
    /// tenant and id already stored, or earlier in <paramref name="events"/> (the first write wins).
    /// Only one append runs at a time (the caller coalesces requests into one call).
    /// </summary>
    Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken);

    /// <summary>Computes a validated metric query over one tenant's events.</summary>
    Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken cancellationToken);

    /// <summary>Each event name of one tenant with its event count and latest timestamp, ordered by name.</summary>
    Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>
    /// One tenant's events that match <paramref name="query"/>, newest first by timestamp, ties by id descending
    /// (ordinal), strictly after <see cref="EventListQuery.After"/> in that order. Streamed: rows are read as the
    /// caller consumes them, so an export of every event never sits in memory whole. Timestamps come back in UTC
    /// at the store's precision (microseconds); the offset an event was sent with is not kept.
    /// </summary>
    IAsyncEnumerable<StoredEvent> ListEventsAsync(
        string tenantId, EventListQuery query, CancellationToken cancellationToken);

    /// <summary>True when the store answers a trivial query.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}
