using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// A metric query from a form: the fields become the JSON body of <c>POST /v1/metrics/query</c> and go through
/// the same <see cref="MetricQueryParser"/>, store and time limit, so the page shows what the API answers. A
/// GET form, since it changes nothing, and the address can be bookmarked or shared.
/// </summary>
public sealed class MetricsModel(IEventStore events, IOptions<MetricsOptions> options, TimeProvider time)
    : ConsolePage
{
    public static readonly IReadOnlyList<string> Measures =
        Enum.GetValues<Measure>().Select(m => m.ToString().ToLowerInvariant()).ToArray();

    public static readonly IReadOnlyList<string> Intervals =
        Enum.GetValues<MetricInterval>().Select(i => i.ToString().ToLowerInvariant()).ToArray();

    public static readonly IReadOnlyList<string> CommonZones =
    [
        "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
        "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney",
    ];

    [BindProperty(SupportsGet = true)]
    public string? Event { get; set; }

    [BindProperty(SupportsGet = true)]
    public string Measure { get; set; } = "count";

    [BindProperty(SupportsGet = true)]
    public string? Property { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true)]
    public string Interval { get; set; } = "day";

    [BindProperty(SupportsGet = true)]
    public string TimeZone { get; set; } = "UTC";

    [BindProperty(SupportsGet = true)]
    public string? Breakdown { get; set; }

    public IReadOnlyList<EventNameSummary> EventNames { get; private set; } = [];

    public MetricQuery? Query { get; private set; }

    public MetricResult? Result { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        EventNames = await events.ListEventNamesAsync(Session.Tenant.Id, cancellationToken);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
        From ??= today.AddDays(-6).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        To ??= today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Event ??= EventNames.OrderByDescending(e => e.LastSeen).FirstOrDefault()?.Name;
        if (Event is null) return;

        // The "to" date is inclusive on the form, as people read a date range; the query's range is half-open.
        var body = new JsonObject
        {
            ["event"] = Event,
            ["measure"] = Measure,
            ["property"] = string.IsNullOrWhiteSpace(Property) ? null : Property.Trim(),
            ["from"] = LocalMidnight(From, 0, zone, "from"),
            ["to"] = LocalMidnight(To, 1, zone, "to"),
            ["interval"] = Interval,
            ["timezone"] = TimeZone,
            ["breakdown"] = string.IsNullOrWhiteSpace(Breakdown) ? null : Breakdown.Trim(),
        };
        if (Errors.Count > 0) return;

        using var document = JsonDocument.Parse(body.ToJsonString());
        Query = MetricQueryParser.Parse(document.RootElement, out var errors);
        if (Query is null)
        {
            Errors.AddRange(errors);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var deadline = new CancellationTokenSource(options.Value.QueryTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            Result = await events.QueryAsync(Session.Tenant.Id, Query, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Refusal = $"The query ran longer than {options.Value.QueryTimeout.TotalSeconds:0} s; narrow its range.";
            Response.StatusCode = StatusCodes.Status504GatewayTimeout;
        }
    }

    private string? LocalMidnight(string? date, int addDays, TimeZoneInfo zone, string field)
    {
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None,
                out var day))
        {
            Errors.Add(FieldError.ForField(field, "must be a date (YYYY-MM-DD)"));
            return null;
        }

        // A midnight that does not exist (clocks jump forward at 00:00) starts at the first instant after it.
        var local = day.AddDays(addDays).ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(1);
        var at = new DateTimeOffset(local, zone.GetUtcOffset(local));
        return at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
    }
}
