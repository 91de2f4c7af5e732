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

    /// <summary>The <c>Retry-After</c> seconds sent with 503 overloaded when the queue is full.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
