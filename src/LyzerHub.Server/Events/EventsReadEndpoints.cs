using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.Events;

/// <summary>
/// <c>GET /v1/events</c> (PRODUCT.md §6.3): a tenant's raw events, newest first by timestamp, ties by id descending,
/// keyset-paged with an opaque cursor, or every matching event streamed as NDJSON with
/// <c>Accept: application/x-ndjson</c>. Timestamps come back in UTC: the store keeps the instant, not the offset.
/// </summary>
public static class EventsReadEndpoints
{
    private const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapEventsRead(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/events", ListAsync)
            .RequireAuthorization(Permissions.ReadEvents)
            .WithName("ListEvents")
            .WithSummary("Lists events newest first, cursor-paged; Accept: application/x-ndjson streams them all.");
        return app;
    }

    internal static async Task<Results<Ok<ListResponse<EventRecord>>,
            NdjsonResult<StoredEvent, EventRecord>, ProblemHttpResult>>
        ListAsync(HttpContext context, [FromServices] IEventStore store, [FromServices] ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(EventsReadEndpoints));
        var tenantId = context.User.GetTenantId();
        if (ReadQuery(context, out var query) is { } problem)
        {
            Log.EventListRejected(logger, tenantId);
            return problem;
        }

        // Limit and cursor page the JSON list; an export is every matching event, so it takes only the filters.
        if (Ndjson.IsAccepted(context.Request))
        {
            Log.EventExportStarted(logger, tenantId);
            return new NdjsonResult<StoredEvent, EventRecord>(
                store.ListEventsAsync(tenantId, query with { After = null, Limit = null }, context.RequestAborted),
                EventRecord.From);
        }

        // One more than the page tells whether another page exists without a count query.
        var limit = query.Limit!.Value;
        var events = new List<StoredEvent>(limit + 1);
        await foreach (var e in store.ListEventsAsync(tenantId, query with { Limit = limit + 1 },
                           context.RequestAborted))
        {
            events.Add(e);
        }

        string? next = null;
        if (events.Count > limit)
        {
            events.RemoveAt(limit);
            next = EventPosition.Of(events[^1]).ToCursor();
        }

        Log.EventsListed(logger, tenantId, events.Count);
        return TypedResults.Ok(new ListResponse<EventRecord>(events.Select(EventRecord.From).ToList(), next));
    }

    private static ProblemHttpResult? ReadQuery(HttpContext context, out EventListQuery query)
    {
        query = new EventListQuery(null, null, null, null, null);
        var parameters = context.Request.Query;

        // Paging.TryRead is not reused: it checks the cursor against the other lists' format, and this one's
        // position can be negative (events before 1970).
        var limit = Paging.DefaultLimit;
        var limitText = parameters["limit"].FirstOrDefault();
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture,
                out limit) || limit < 1 || limit > Paging.MaxLimit))
            return HubProblems.InvalidField(context, "limit", $"must be an integer from 1 to {Paging.MaxLimit}");

        var cursorText = parameters["cursor"].FirstOrDefault();
        EventPosition? after = null;
        if (cursorText is not null)
        {
            if (!EventPosition.TryParseCursor(cursorText, out var position))
                return HubProblems.InvalidField(context, "cursor", "is not a cursor this list gave out");
            after = position;
        }

        var name = parameters["name"].FirstOrDefault();
        if (name is not null && (name.Length == 0 || name.EnumerateRunes().Count() > MaxNameLength))
            return HubProblems.InvalidField(context, "name", $"must be 1 to {MaxNameLength} characters");

        if (!TryReadTime(parameters["from"].FirstOrDefault(), out var from))
            return HubProblems.InvalidField(context, "from", "must be an RFC 3339 time with an offset");
        if (!TryReadTime(parameters["to"].FirstOrDefault(), out var to))
            return HubProblems.InvalidField(context, "to", "must be an RFC 3339 time with an offset");
        if (from > to) return HubProblems.InvalidField(context, "to", "must not be before from");

        query = new EventListQuery(name, from, to, after, limit);
        return null;
    }

    private static bool TryReadTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (text is null) return true;
        if (!Rfc3339.TryParse(text, out var parsed)) return false;
        value = parsed;
        return true;
    }
}

/// <summary>One event as <c>GET /v1/events</c> answers it; <see cref="Properties"/> is its JSON object.</summary>
public sealed record EventRecord(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("distinct_id")] string? DistinctId,
    [property: JsonPropertyName("properties"), JsonConverter(typeof(RawJsonObjectConverter))] string Properties,
    [property: JsonPropertyName("received_at")] DateTimeOffset ReceivedAt)
{
    public static EventRecord From(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Id, e.Name, e.Timestamp, e.DistinctId, e.PropertiesJson, e.ReceivedAt);
    }
}

/// <summary>
/// Writes a stored properties object as JSON rather than as a string holding JSON. The store validated it on the
/// way in, so it is copied as is instead of being parsed again for every event of an export.
/// </summary>
public sealed class RawJsonObjectConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(value, skipInputValidation: true);
    }
}
