using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LyzerHub.Client;

/// <summary>Batching, retry and memory limits of a <see cref="LyzerEventSender"/>.</summary>
public sealed class LyzerEventSenderOptions
{
    /// <summary>Events per request, at most 5,000 (the hub's limit). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The longest an event waits for its batch to fill before it is sent anyway. Default 2 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Events held in memory at most; beyond it <see cref="LyzerEventSender.Track(LyzerEvent)"/> drops
    /// the event and counts it. Default 10,000.</summary>
    public int MaxQueuedEvents { get; set; } = 10_000;

    /// <summary>Attempts per batch (each already retried by the HTTP pipeline) before the batch is dropped and
    /// counted. Default 5.</summary>
    public int MaxBatchAttempts { get; set; } = 5;

    /// <summary>The first wait between batch attempts; it doubles each time. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Where drops and failures are reported; nothing is logged when null (the counters still are).
    /// </summary>
    public ILogger? Logger { get; set; }
}

/// <summary>
/// Sends events in the background: <see cref="Track(LyzerEvent)"/> returns at once, events go out in batches by
/// size and time, failed batches are retried, and <see cref="DisposeAsync"/> sends whatever is still queued.
/// Memory is bounded by <see cref="LyzerEventSenderOptions.MaxQueuedEvents"/>; every event that does not make it
/// is counted in <see cref="Dropped"/> and logged — never lost silently. Each event gets a UUID id when tracked,
/// so a retried batch can never count twice.
/// </summary>
public sealed partial class LyzerEventSender : IAsyncDisposable
{
    private const int HubBatchLimit = 5_000;

    private readonly LyzerHubClient _client;
    private readonly LyzerEventSenderOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<LyzerEvent> _queue;
    private readonly Task _loop;
    private long _accepted;
    private long _duplicates;
    private long _rejected;
    private long _dropped;
    private int _disposed;

    internal LyzerEventSender(LyzerHubClient client, LyzerEventSenderOptions options)
    {
        if (options.BatchSize is < 1 or > HubBatchLimit)
            throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be 1 to 5,000.");
        if (options.MaxQueuedEvents < 1) throw new ArgumentOutOfRangeException(nameof(options));
        _client = client;
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<LyzerEvent>(new BoundedChannelOptions(options.MaxQueuedEvents)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Raised after each batch is settled (sent or dropped), with its size; lets tests observe the
    /// background loop without polling.</summary>
    internal event Action<int>? BatchSettled;

    /// <summary>Events the hub stored.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Events the hub already had (same id): harmless, e.g. after a retry.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Events the hub refused as invalid (each reason is logged).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Events that never reached the hub: the queue was full, the sender was disposed, or every attempt
    /// of their batch failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an event and returns at once.</summary>
    /// <param name="name">The event name.</param>
    /// <param name="distinctId">Who it is about.</param>
    /// <param name="properties">Its properties.</param>
    /// <returns>True when queued; false when it was dropped (and counted) because the queue is full or closed.
    /// </returns>
    public bool Track(
        string name, string? distinctId = null, IReadOnlyDictionary<string, object?>? properties = null) =>
        Track(new LyzerEvent(name, distinctId, null, properties));

    /// <summary>Queues an event and returns at once. A missing id becomes a UUID and a missing timestamp the
    /// time of this call, so the event means the same whenever it is sent.</summary>
    /// <param name="event">The event.</param>
    /// <returns>True when queued; false when it was dropped (and counted).</returns>
    public bool Track(LyzerEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var ready = @event with
        {
            Id = @event.Id ?? LyzerHubClient.NewEventId(),
            Timestamp = @event.Timestamp ?? _client.Time.GetUtcNow(),
        };
        if (_queue.Writer.TryWrite(ready)) return true;

        var total = Interlocked.Increment(ref _dropped);
        // Logged at powers of two: a flood of drops is reported without flooding the log itself.
        if ((total & (total - 1)) == 0) Log.QueueFull(_logger, total, _options.MaxQueuedEvents);
        return false;
    }

    /// <summary>Stops taking events, sends everything queued (with retries), and returns when done.</summary>
    /// <returns>A task that completes when the queue is empty.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Writer.TryComplete();
        await _loop;
        if (Dropped > 0) Log.DroppedInTotal(_logger, Dropped);
    }

    private async Task RunAsync()
    {
        var batch = new List<LyzerEvent>(_options.BatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            // The window opens with the batch's first event: a lone event waits at most FlushInterval.
            using (var window = new CancellationTokenSource(_options.FlushInterval, _client.Time))
            {
                while (batch.Count < _options.BatchSize)
                {
                    if (reader.TryRead(out var item))
                    {
                        batch.Add(item);
                        continue;
                    }

                    try
                    {
                        // False once disposed and empty: send what there is without waiting for the window.
                        if (!await reader.WaitToReadAsync(window.Token)) break;
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            await SendWithRetriesAsync(batch);
            BatchSettled?.Invoke(batch.Count);
            batch.Clear();
        }
    }

    private async Task SendWithRetriesAsync(List<LyzerEvent> batch)
    {
        var delay = _options.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await _client.SendEventsAsync(batch);
                Interlocked.Add(ref _accepted, result.Accepted);
                Interlocked.Add(ref _duplicates, result.Duplicates);
                Interlocked.Add(ref _rejected, result.Rejected);
                foreach (var item in result.Results.Where(r => r.Status == "rejected"))
                    Log.EventRejected(_logger, item.Id ?? "?", item.Reason ?? "");
                return;
            }
            catch (LyzerHubException e) when (e.IsRetryable && attempt < _options.MaxBatchAttempts)
            {
                Log.BatchRetry(_logger, batch.Count, attempt, e.Code);
                await Task.Delay(e.RetryAfter is { } wait && wait > delay ? wait : delay, _client.Time);
                delay *= 2;
            }
            catch (LyzerHubException e)
            {
                // Not retryable (a bad key, a malformed batch) or out of attempts: count and report every event.
                Interlocked.Add(ref _dropped, batch.Count);
                Log.BatchDropped(_logger, batch.Count, attempt, e.Code, e.Detail);
                return;
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
            {
                // A property value that cannot be serialized, or a misconfigured client: the batch can never be
                // sent, but the loop must live on for the events behind it.
                Interlocked.Add(ref _dropped, batch.Count);
                Log.BatchDropped(_logger, batch.Count, attempt, e.GetType().Name, e.Message);
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9201, EventName = "QueueFull", Level = LogLevel.Warning,
            Message = "The event queue is full ({Capacity}); {Dropped} events dropped so far")]
        public static partial void QueueFull(ILogger logger, long dropped, int capacity);

        [LoggerMessage(EventId = 9202, EventName = "BatchRetry", Level = LogLevel.Information,
            Message = "Sending {Count} events failed (attempt {Attempt}, {Code}); retrying")]
        public static partial void BatchRetry(ILogger logger, int count, int attempt, string code);

        [LoggerMessage(EventId = 9203, EventName = "BatchDropped", Level = LogLevel.Warning,
            Message = "Dropped {Count} events after {Attempts} attempts: {Code} {Detail}")]
        public static partial void BatchDropped(ILogger logger, int count, int attempts, string code, string detail);

        [LoggerMessage(EventId = 9204, EventName = "EventRejected", Level = LogLevel.Information,
            Message = "The hub rejected event {EventId}: {Reason}")]
        public static partial void EventRejected(ILogger logger, string eventId, string reason);

        [LoggerMessage(EventId = 9205, EventName = "DroppedInTotal", Level = LogLevel.Warning,
            Message = "The event sender dropped {Dropped} events in total")]
        public static partial void DroppedInTotal(ILogger logger, long dropped);
    }
}
