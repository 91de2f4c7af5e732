using LyzerHub.Server.Events;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tests.Events;

/// <summary>
/// A unit-test double of <see cref="IEventStore"/> for the writer: keeps events in a list, dedupes by (tenant, id)
/// like the contract says, and lets a test hold appends at a gate to line up concurrent requests deterministically.
/// </summary>
internal sealed class InMemoryEventStore : IEventStore
{
    private readonly Lock _lock = new();
    private readonly HashSet<(string TenantId, string Id)> _ids = [];
    private readonly List<StoredEvent> _stored = [];
    private readonly List<int> _appendSizes = [];
    private readonly TaskCompletionSource _gate = NewSignal();
    private int _running;

    public InMemoryEventStore(bool gated = false)
    {
        if (!gated) _gate.SetResult();
    }

    /// <summary>Completes when the first append has started (and is waiting at the gate, if gated).</summary>
    public TaskCompletionSource FirstAppendStarted { get; } = NewSignal();

    /// <summary>Thrown by every append that passes the gate while set; nothing is stored then.</summary>
    public Exception? Failure { get; set; }

    public int MaxConcurrentAppends { get; private set; }

    public IReadOnlyList<StoredEvent> Stored
    {
        get
        {
            lock (_lock) return [.. _stored];
        }
    }

    public IReadOnlyList<int> AppendSizes
    {
        get
        {
            lock (_lock) return [.. _appendSizes];
        }
    }

    /// <summary>Lets every waiting and future append through.</summary>
    public void Open() => _gate.TrySetResult();

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        try
        {
            lock (_lock) MaxConcurrentAppends = Math.Max(MaxConcurrentAppends, running);
            FirstAppendStarted.TrySetResult();
            await _gate.Task;
            if (Failure is not null) throw Failure;

            lock (_lock)
            {
                _appendSizes.Add(events.Count);
                var duplicates = new bool[events.Count];
                for (var i = 0; i < events.Count; i++)
                {
                    duplicates[i] = !_ids.Add((events[i].TenantId, events[i].Id));
                    if (!duplicates[i]) _stored.Add(events[i]);
                }

                return duplicates;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(string tenantId, CancellationToken token) =>
        throw new NotSupportedException("The writer's test double answers no queries.");

    public Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The writer tests never query.");

    public IAsyncEnumerable<StoredEvent> ListEventsAsync(
        string tenantId, EventListQuery query, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The writer tests never read events back.");

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
