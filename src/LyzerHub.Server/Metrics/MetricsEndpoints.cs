using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Metrics;

/// <summary><c>/v1/metrics</c>: metric queries and the list of event names (PRODUCT.md §6.2, §6.3).</summary>
public static class MetricsEndpoints
{
    private const string LoggerName = "LyzerHub.Server.Metrics.MetricsEndpoints";

    // Doubles at or beyond 2^53 are not exact integers; they stay in floating-point form.
    private const double MaxExactInteger = 9_007_199_254_740_992d;

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/metrics").RequireAuthorization(Permissions.ReadMetrics);
        group.MapPost("/query", QueryAsync);
        group.MapGet("/events", ListEventsAsync);
        return app;
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> QueryAsync(
        HttpContext context,
        IEventStore store,
        IOptions<MetricsOptions> options,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(LoggerName);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            Log.MetricQueryRejected(logger, 1);
            return HubProblems.InvalidField(context, "body", RequestJson.NotJson(e));
        }

        MetricQuery? query;
        IReadOnlyList<FieldError> errors;
        using (document) query = MetricQueryParser.Parse(document.RootElement, out errors);
        if (query is null)
        {
            Log.MetricQueryRejected(logger, errors.Count);
            return HubProblems.InvalidRequest(context, errors);
        }

        var timeout = options.Value.QueryTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.RequestAborted);
        var started = time.GetTimestamp();
        MetricResult result;
        try
        {
            result = await store.QueryAsync(context.User.GetTenantId(), query, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var buckets = BucketBoundaries.TryCompute(query.From, query.To, query.Interval, query.TimeZone,
                MetricQueryParser.MaxBucketsPerSeries)?.Count ?? 0;
            Log.MetricQueryTimedOut(logger, buckets, timeout.TotalSeconds);
            return HubProblems.Create(context, StatusCodes.Status504GatewayTimeout, ProblemCodes.QueryTimeout,
                $"The query ran longer than {timeout.TotalSeconds:0.###} s; narrow its range or filters.");
        }

        Log.MetricQueryAnswered(logger, result.Series.Count, (long)time.GetElapsedTime(started).TotalMilliseconds);
        return TypedResults.Ok(ToJson(query, result));
    }

    private static async Task<Ok<JsonObject>> ListEventsAsync(HttpContext context, IEventStore store)
    {
        var names = await store.ListEventNamesAsync(context.User.GetTenantId(), context.RequestAborted);
        var data = new JsonArray();
        foreach (var name in names)
        {
            data.Add(new JsonObject
            {
                ["name"] = name.Name,
                ["count"] = name.Count,
                ["last_seen"] = Format(name.LastSeen),
            });
        }

        return TypedResults.Ok(new JsonObject { ["data"] = data });
    }

    /// <summary>The answer of PRODUCT.md §6.2, written by hand so whole numbers go out as integers.</summary>
    internal static JsonObject ToJson(MetricQuery query, MetricResult result)
    {
        var series = new JsonArray();
        foreach (var one in result.Series)
        {
            var points = new JsonArray();
            foreach (var point in one.Points)
            {
                points.Add(new JsonObject { ["t"] = Format(point.T), ["value"] = Number(point.Value) });
            }

            series.Add(new JsonObject
            {
                ["key"] = one.Key is { } key ? JsonNode.Parse(key.GetRawText()) : null,
                ["total"] = Number(one.Total),
                ["points"] = points,
            });
        }

        return new JsonObject
        {
            ["event"] = query.Event,
            ["measure"] = query.Measure.ToString().ToLowerInvariant(),
            ["interval"] = query.Interval.ToString().ToLowerInvariant(),
            ["timezone"] = query.TimeZone.Id,
            ["from"] = Format(query.From),
            ["to"] = Format(query.To),
            ["series"] = series,
        };
    }

    internal static JsonNode? Number(double? value) => value switch
    {
        null => null,
        { } v when Math.Abs(v) < MaxExactInteger && v == Math.Floor(v) => JsonValue.Create((long)v),
        { } v => JsonValue.Create(v),
    };

    private static string Format(DateTimeOffset value) => Rfc3339DateTimeOffsetConverter.Format(value);
}
