using LyzerHub.Server.Problems;

namespace LyzerHub.Server.Events;

/// <summary>How a request body frames its events.</summary>
public enum EventBodyFormat
{
    /// <summary>One JSON object or a JSON array of objects (<c>application/json</c>).</summary>
    Json,

    /// <summary>One JSON value per line, blank lines skipped (<c>application/x-ndjson</c>).</summary>
    Ndjson,
}

public enum EventBatchOutcome
{
    /// <summary>The body is well-formed; each item is either an event to store or rejected with a reason.</summary>
    Parsed,

    /// <summary>The body breaks I-JSON or JSON syntax somewhere: nothing of it may be stored (400).</summary>
    Invalid,

    /// <summary>The body exceeds the event count or byte limit (413).</summary>
    TooLarge,

    /// <summary>Reading the body would pass the hub-wide budget of body bytes in flight (503).</summary>
    Overloaded,
}

/// <summary>
/// One item of a request. <see cref="Event"/> is set when the item is valid; otherwise <see cref="Reason"/> says
/// why it is rejected. <see cref="Id"/> is the event's id (generated when the item had none), when known.
/// </summary>
public sealed record EventItem(int Index, string? Id, StoredEvent? Event, string? Reason);

/// <summary>What <see cref="EventBatchParser"/> made of a request body.</summary>
public sealed record EventBatchParseResult(
    EventBatchOutcome Outcome,
    IReadOnlyList<EventItem> Items,
    IReadOnlyList<FieldError> Errors,
    string? Detail)
{
    public static EventBatchParseResult Parsed(IReadOnlyList<EventItem> items) =>
        new(EventBatchOutcome.Parsed, items, [], null);

    public static EventBatchParseResult Invalid(FieldError error) =>
        new(EventBatchOutcome.Invalid, [], [error], null);

    public static EventBatchParseResult TooLarge(string detail) =>
        new(EventBatchOutcome.TooLarge, [], [], detail);

    public static EventBatchParseResult Overloaded(string detail) =>
        new(EventBatchOutcome.Overloaded, [], [], detail);
}
