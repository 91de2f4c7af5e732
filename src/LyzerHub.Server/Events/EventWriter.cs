using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using LyzerHub.Server.Storage;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Events;

/// <summary>
/// The single writer of events (group commit). Requests enqueue their accepted events and wait; the writer drains
/// whatever is queued into one <see cref="IEventStore.AppendAsync"/> call, because the store takes one append at a
/// time and one large append costs about as much as a small one. A request completes only after the append that
/// holds its events returned, so a 200 means committed.
/// </summary>
public sealed partial class EventWriter : BackgroundService
{
    private readonly IEventStore _store;
    private readonly ILogger<EventWriter> _logger;
    private readonly int _maxEventsPerAppend;
    private readonly Channel<PendingWrite> _queue;

    public EventWriter(IEventStore store, IOptions<EventsOptions> options, ILogger<EventWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _logger = logger;
        _maxEventsPerAppend = Math.Max(1, options.Value.MaxEventsPerAppend);
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// Queues <paramref name="events"/> for the next append. False when the queue is full or the writer is stopping:
    /// the caller answers 503 overloaded. Otherwise <paramref name="committed"/> completes with one duplicate flag
    /// per event once they are durable, or faults with <see cref="EventWriteFailedException"/>.
    /// </summary>
    public bool TryEnqueue(IReadOnlyList<StoredEvent> events, [NotNullWhen(true)] out Task<bool[]>? committed)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            committed = Task.FromResult(Array.Empty<bool>());
            return true;
        }

        // Continuations run elsewhere so the writer loop never ends up running request code.
        var pending = new PendingWrite(events, new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            Log.QueueFull(_logger, events.Count);
            committed = null;
            return false;
        }

        committed = pending.Completion.Task;
        return true;
    }

    /// <summary>Refuses new events, then waits (within the host's shutdown timeout) for the queue to drain.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        Log.Draining(_logger, _queue.Reader.Count);
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The loop ignores stoppingToken on purpose: it ends when StopAsync completes the queue and the queue is
        // empty, so events already promised a write are written rather than dropped.
        var batch = new List<PendingWrite>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            var count = 0;
            while (_queue.Reader.TryPeek(out var next)
                && (batch.Count == 0 || count + next.Events.Count <= _maxEventsPerAppend)
                && _queue.Reader.TryRead(out next))
            {
                batch.Add(next);
                count += next.Events.Count;
            }

            await AppendAsync(batch, count);
        }
    }

    private async Task AppendAsync(List<PendingWrite> batch, int count)
    {
        var events = new List<StoredEvent>(count);
        foreach (var pending in batch) events.AddRange(pending.Events);

        var started = Stopwatch.GetTimestamp();
        bool[] duplicates;
        try
        {
            duplicates = await _store.AppendAsync(events, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // Whatever the store threw, every waiting request must hear of it: swallowing or rethrowing here would
            // leave them waiting forever, or answering 200 for events that were never stored.
            // Known gap: one failing append fails every request coalesced into it, even when a single request's
            // events caused it; retrying each request alone after a failed multi-request append would isolate it.
            Log.AppendFailed(_logger, exception, count, batch.Count);
            Fail(batch, exception);
            return;
        }

        if (duplicates.Length != count)
        {
            var mismatch = new InvalidOperationException(
                $"The event store returned {duplicates.Length} duplicate flags for {count} events.");
            Log.AppendFailed(_logger, mismatch, count, batch.Count);
            Fail(batch, mismatch);
            return;
        }

        Log.Appended(_logger, count, batch.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var offset = 0;
        foreach (var pending in batch)
        {
            pending.Completion.TrySetResult(duplicates[offset..(offset + pending.Events.Count)]);
            offset += pending.Events.Count;
        }
    }

    private static void Fail(List<PendingWrite> batch, Exception cause)
    {
        foreach (var pending in batch)
        {
            pending.Completion.TrySetException(new EventWriteFailedException(cause));
        }
    }

    private sealed record PendingWrite(IReadOnlyList<StoredEvent> Events, TaskCompletionSource<bool[]> Completion);
}

/// <summary>The store failed the append that held a request's events; none of them were stored.</summary>
public sealed class EventWriteFailedException : Exception
{
    public EventWriteFailedException()
        : base("The event store failed to append the events; none were stored.")
    {
    }

    public EventWriteFailedException(string message)
        : base(message)
    {
    }

    public EventWriteFailedException(Exception innerException)
        : base("The event store failed to append the events; none were stored.", innerException)
    {
    }

    public EventWriteFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
