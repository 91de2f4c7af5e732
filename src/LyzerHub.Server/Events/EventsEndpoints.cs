using System.Text.Json.Serialization;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LyzerHub.Server.Events;

/// <summary><c>POST /v1/events</c> (PRODUCT.md §6.1).</summary>
public static class EventsEndpoints
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";

    // A gzip body larger than what it inflates to only happens for incompressible data, and then by a few bytes
    // per 64 KiB block; this slack lets such a body through while Kestrel still stops an endless upload early.
    private const int GzipOverheadBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", IngestAsync)
            .RequireAuthorization(Permissions.WriteEvents)
            .WithName("IngestEvents")
            .WithSummary("Stores events: one JSON object, a JSON array of objects, or NDJSON, optionally gzipped.");

        // Reading back lives beside ingestion, so the route is mapped with it and the composition root is untouched.
        app.MapEventsRead();

        // Known gap: /openapi/v1.json shows no request body schema. .Accepts<T>() would add one, but it also makes
        // routing answer other content types with a bare 415 before the handler can answer with a problem; a
        // document transformer that adds the schema would fix it.
        return app;
    }

    internal static async Task<Results<Ok<EventIngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpContext context,
        [FromServices] EventBatchParser parser,
        [FromServices] EventWriter writer,
        [FromServices] EventBodyBudget budget,
        [FromServices] IOptions<EventsOptions> options,
        [FromServices] ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(EventsEndpoints));
        var tenantId = context.User.GetTenantId();
        var request = context.Request;

        if (!TryGetFormat(request.ContentType, out var format))
        {
            return HubProblems.Create(context, StatusCodes.Status415UnsupportedMediaType,
                ProblemCodes.UnsupportedMediaType, "Send application/json or application/x-ndjson, in UTF-8.");
        }

        if (!TryGetGzip(request.Headers.ContentEncoding, out var gzip))
        {
            return HubProblems.Create(context, StatusCodes.Status415UnsupportedMediaType,
                ProblemCodes.UnsupportedMediaType, "The only Content-Encoding accepted is gzip.");
        }

        if (!TryGetStrict(request.Query["strict"], out var strict))
        {
            return HubProblems.InvalidField(context, "strict", "must be true or false");
        }

        var limit = EventBatchParser.MaxBodyBytes + (gzip ? GzipOverheadBytes : 0);
        if (request.ContentLength > limit)
        {
            return TooLarge(context, logger, tenantId, "The body is larger than 10 MiB.");
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit;

        // The lease is held until the events are written, since the parsed events take about as much memory.
        using var lease = budget.CreateLease();
        EventBatchParseResult parsed;
        try
        {
            parsed = await parser.ParseAsync(request.Body, format, gzip, tenantId, lease, context.RequestAborted);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(context, logger, tenantId, "The body is larger than 10 MiB.");
        }

        switch (parsed.Outcome)
        {
            case EventBatchOutcome.TooLarge:
                return TooLarge(context, logger, tenantId, parsed.Detail!);
            case EventBatchOutcome.Overloaded:
                Log.BodyBudgetExhausted(logger, tenantId, budget.InUse);
                return HubProblems.Overloaded(context, parsed.Detail!, options.Value.RetryAfterSeconds);
            case EventBatchOutcome.Invalid:
                Log.BodyInvalid(logger, tenantId, parsed.Errors.Count);
                return HubProblems.InvalidRequest(context, parsed.Errors);
        }

        var rejected = parsed.Items.Where(item => item.Event is null).ToList();
        if (strict && rejected.Count > 0)
        {
            Log.StrictRefused(logger, tenantId, rejected.Count);
            return HubProblems.InvalidRequest(context,
                rejected.Select(item => FieldError.ForIndex(item.Index, item.Reason!)).ToList());
        }

        var events = parsed.Items.Where(item => item.Event is not null).Select(item => item.Event!).ToList();
        if (!writer.TryEnqueue(events, out var committed))
        {
            return HubProblems.Overloaded(context, "The event writer is behind; nothing of this request was stored.",
                options.Value.RetryAfterSeconds);
        }

        // Not cancelled when the client goes away: the events are queued either way, and the lease must cover
        // them until the writer is done with them. The writer completes every request it queued, success or failure.
        bool[] duplicates;
        try
        {
            duplicates = await committed;
        }
        catch (EventWriteFailedException)
        {
            // The writer has logged the cause; the client learns that nothing was stored, so a retry is safe.
            return HubProblems.Create(context, StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                "The event store failed; nothing of this request was stored.");
        }

        var response = BuildResponse(parsed.Items, duplicates);
        Log.Ingested(logger, tenantId, response.Accepted, response.Duplicates, response.Rejected);
        return TypedResults.Ok(response);
    }

    internal static EventIngestResponse BuildResponse(IReadOnlyList<EventItem> items, bool[] duplicates)
    {
        var results = new EventResult[items.Count];
        int next = 0, accepted = 0, duplicate = 0, rejected = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Event is null)
            {
                rejected++;
                results[i] = new EventResult(item.Index, Rejected, item.Id, item.Reason);
            }
            else if (duplicates[next++])
            {
                duplicate++;
                results[i] = new EventResult(item.Index, Duplicate, item.Id, null);
            }
            else
            {
                accepted++;
                results[i] = new EventResult(item.Index, Accepted, item.Id, null);
            }
        }

        return new EventIngestResponse(accepted, duplicate, rejected, results);
    }

    private static ProblemHttpResult TooLarge(HttpContext context, ILogger logger, string tenantId, string detail)
    {
        Log.BodyTooLarge(logger, tenantId);
        return HubProblems.Create(context, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge,
            detail + " Nothing was stored.");
    }

    /// <summary>A missing Content-Type is read as JSON, which is what curl and most SDKs mean by default.</summary>
    internal static bool TryGetFormat(string? contentType, out EventBodyFormat format)
    {
        format = EventBodyFormat.Json;
        if (string.IsNullOrWhiteSpace(contentType)) return true;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;

        // I-JSON bodies are UTF-8; a declared other charset means the bytes are not what we would parse.
        var charset = media.Charset;
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return false;

        if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return true;
        if (media.MediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || media.MediaType.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase))
        {
            format = EventBodyFormat.Ndjson;
            return true;
        }

        return false;
    }

    internal static bool TryGetGzip(Microsoft.Extensions.Primitives.StringValues contentEncoding, out bool gzip)
    {
        gzip = false;
        var value = contentEncoding.ToString().Trim();
        if (value.Length == 0 || value.Equals("identity", StringComparison.OrdinalIgnoreCase)) return true;

        gzip = value.Equals("gzip", StringComparison.OrdinalIgnoreCase)
            || value.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        return gzip;
    }

    internal static bool TryGetStrict(Microsoft.Extensions.Primitives.StringValues value, out bool strict)
    {
        strict = false;
        return value.Count == 0 || (value.Count == 1 && bool.TryParse(value[0], out strict));
    }
}

/// <summary>The answer to <c>POST /v1/events</c>.</summary>
public sealed record EventIngestResponse(
    [property: JsonPropertyName("accepted")] int Accepted,
    [property: JsonPropertyName("duplicates")] int Duplicates,
    [property: JsonPropertyName("rejected")] int Rejected,
    [property: JsonPropertyName("results")] IReadOnlyList<EventResult> Results);

/// <summary>One item's fate; <see cref="Reason"/> only for rejected items.</summary>
public sealed record EventResult(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Reason);
