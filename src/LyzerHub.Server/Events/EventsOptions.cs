namespace LyzerHub.Server.Events;

/// <summary>The <c>Hub:Events</c> configuration section: how the group-commit writer queues and batches.</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Hub:Events";

    /// <summary>
    /// How many requests may wait for the writer. Each holds at most 5,000 events, so this bounds memory;
    /// past it requests get 503 overloaded instead of queueing without limit.
    /// </summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>The most events coalesced into one append; a single larger request is still appended whole.</summary>
    public int MaxEventsPerAppend { get; set; } = 20_000;

    /// <summary>
    /// The most bytes of events bodies held in memory at once across requests; a request that would pass it gets
    /// 503 overloaded. 256 MiB holds 25 bodies at the 10 MiB limit, or thousands of typical small ones.
    /// </summary>
    public long MaxBodyBytesInFlight { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// The <c>Retry-After</c> seconds sent with 503 overloaded, when the queue is full or too many body bytes are
    /// in flight.
    /// </summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
