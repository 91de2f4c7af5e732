using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// A real access log (../shared/data) through <c>POST /v1/events</c> over HTTPS, then metrics compared with
/// figures this test computes from the file itself with LINQ.
/// </summary>
public sealed class AccessLogTests(ITestOutputHelper output)
{
    private const string LogFile = "access-2015-05.log";
    private const int BatchSize = 1000;

    [SkippableFact]
    public async Task AccessLog_IngestedOverHttps_MetricsMatchTheFile()
    {
        var path = SharedData.Find(LogFile);
        Skip.If(path is null, $"{LogFile} not found beside the repository (../shared/data); set LYZER_SHARED_DATA.");
        var (lines, unparsed) = AccessLogLine.ParseFile(path);
        Assert.NotEmpty(lines);
        Assert.NotEmpty(unparsed); // the file has a truncated line, which must be left out, not sent

        await using var hub = await HubHost.StartAsync();
        var client = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "read:metrics", "write:events" } }));

        var watch = Stopwatch.StartNew();
        var accepted = await SendAllAsync(client, lines);
        watch.Stop();
        output.WriteLine($"ingested {lines.Count} events in {watch.ElapsedMilliseconds} ms " +
            $"({lines.Count / watch.Elapsed.TotalSeconds:F0} events/s, NDJSON batches of {BatchSize})");
        var resent = await SendAllAsync(client, lines.Take(BatchSize).ToList(), expectDuplicates: true);

        Assert.Equal(lines.Count, accepted);
        Assert.Equal(0, resent);
        await AssertHourlyCountsUtcAsync(client, lines);
        await AssertDailyCountsNewYorkAsync(client, lines);
        await AssertBreakdownByStatusAsync(client, lines);
        await AssertSumOfBytesAndUniquesAsync(client, lines);
        await AssertUniqueVisitorsPerDayAsync(client, lines);
        await AssertTopTenPathsAsync(client, lines);
    }

    private static async Task<int> SendAllAsync(
        HttpClient client, List<AccessLogLine> lines, bool expectDuplicates = false)
    {
        var accepted = 0;
        foreach (var batch in lines.Chunk(BatchSize))
        {
            var ndjson = new StringBuilder();
            foreach (var line in batch) ndjson.Append(line.ToEvent().ToJsonString()).Append('\n');
            using var response = await client.PostAsync("/v1/events",
                new StringContent(ndjson.ToString(), Encoding.UTF8, "application/x-ndjson"));
            var json = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.True(response.IsSuccessStatusCode, json?.ToJsonString());
            Assert.Equal(0, (int)json!["rejected"]!);
            Assert.Equal(expectDuplicates ? batch.Length : 0, (int)json["duplicates"]!);
            accepted += (int)json["accepted"]!;
        }

        return accepted;
    }

    private static async Task AssertHourlyCountsUtcAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var first = Hour(lines.Min(l => l.Timestamp));
        var end = Hour(lines.Max(l => l.Timestamp)).AddHours(1);
        var expected = new List<string>();
        for (var t = first; t < end; t = t.AddHours(1))
        {
            var bucket = t;
            var count = lines.Count(l => l.Timestamp >= bucket && l.Timestamp < bucket.AddHours(1));
            expected.Add($"{Iso(bucket)}={count}");
        }

        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "count", interval = "hour", timezone = "UTC",
            from = Iso(first), to = Iso(end),
        });

        Assert.Equal(expected, Points(result["series"]![0]!));
        Assert.Equal(lines.Count, (long)result["series"]![0]!["total"]!);
    }

    private static async Task AssertDailyCountsNewYorkAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var localDates = lines.Select(l => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(l.Timestamp, zone).DateTime))
            .ToList();
        var firstDay = localDates.Min();
        var lastDay = localDates.Max();
        var expected = new List<string>();
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            var midnight = day.ToDateTime(TimeOnly.MinValue);
            var start = new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
            expected.Add($"{Iso(start)}={localDates.Count(d => d == day)}");
        }

        var from = new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue),
            zone.GetUtcOffset(firstDay.ToDateTime(TimeOnly.MinValue)));
        var toDate = lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue);
        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "count", interval = "day", timezone = "America/New_York",
            from = Iso(from), to = Iso(new DateTimeOffset(toDate, zone.GetUtcOffset(toDate))),
        });

        Assert.Equal(expected, Points(result["series"]![0]!));
    }

    private static async Task AssertBreakdownByStatusAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var expected = lines.GroupBy(l => l.Status)
            .Select(g => (Status: g.Key, Count: g.Count()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Status)
            .Take(5)
            .Select(g => $"{g.Status}={g.Count}");

        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "count", interval = "none", breakdown = "status", limit = 5,
            from = "2015-01-01T00:00:00Z", to = "2016-01-01T00:00:00Z",
        });

        var series = result["series"]!.AsArray();
        // Keys keep their JSON type: a status is the number 404, not the string "404".
        Assert.All(series, s => Assert.Equal(System.Text.Json.JsonValueKind.Number, s!["key"]!.GetValueKind()));
        Assert.Equal(expected, series.Select(s => $"{(int)s!["key"]!}={(long)s["total"]!}"));
    }

    private static async Task AssertSumOfBytesAndUniquesAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var range = new { from = "2015-05-17T00:00:00Z", to = "2015-05-21T00:00:00Z" };

        var sum = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "sum", property = "bytes", interval = "day", timezone = "UTC",
            range.from, range.to,
        });
        var unique = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "unique", interval = "none", range.from, range.to,
        });

        Assert.Equal(lines.Sum(l => l.Bytes), (long)sum["series"]![0]!["total"]!);
        var perDay = lines.GroupBy(l => l.Timestamp.UtcDateTime.Date).OrderBy(g => g.Key)
            .Select(g => $"{Iso(new DateTimeOffset(g.Key, TimeSpan.Zero))}={g.Sum(l => l.Bytes)}");
        Assert.Equal(perDay, Points(sum["series"]![0]!));
        Assert.Equal(lines.Select(l => l.Host).Distinct().Count(), (long)unique["series"]![0]!["total"]!);
    }

    private static async Task AssertUniqueVisitorsPerDayAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var perDay = lines.GroupBy(l => l.Timestamp.UtcDateTime.Date).OrderBy(g => g.Key)
            .Select(g => $"{Iso(new DateTimeOffset(g.Key, TimeSpan.Zero))}={g.Select(l => l.Host).Distinct().Count()}")
            .ToList();

        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "unique", interval = "day", timezone = "UTC",
            from = "2015-05-17T00:00:00Z", to = "2015-05-21T00:00:00Z",
        });

        Assert.Equal(4, perDay.Count);
        Assert.Equal(perDay, Points(result["series"]![0]!));
    }

    /// <summary>Top 10 paths by count over the whole file, ties by path (ordinal), plus the path-less series.</summary>
    private static async Task AssertTopTenPathsAsync(HttpClient client, List<AccessLogLine> lines)
    {
        var expected = lines.Where(l => l.Path is not null).GroupBy(l => l.Path!, StringComparer.Ordinal)
            .Select(g => (Path: g.Key, Count: g.Count()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Path, StringComparer.Ordinal)
            .Take(10)
            .Select(g => $"{g.Path}={g.Count}")
            .ToList();
        var withoutPath = lines.Count(l => l.Path is null);
        if (withoutPath > 0) expected.Add($"null={withoutPath}");

        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "http_request", measure = "count", interval = "day", timezone = "UTC",
            from = "2015-05-17T00:00:00Z", to = "2015-05-21T00:00:00Z", breakdown = "path", limit = 10,
        });

        var series = result["series"]!.AsArray();
        Assert.Equal(expected, series.Select(s => $"{(string?)s!["key"] ?? "null"}={(long)s["total"]!}"));
        // Each series' daily points add up to its total.
        Assert.All(series, s => Assert.Equal((long)s!["total"]!,
            s["points"]!.AsArray().Sum(p => (long)p!["value"]!)));
    }

    private static IEnumerable<string> Points(JsonNode series) =>
        series["points"]!.AsArray().Select(p => $"{(string)p!["t"]!}={p["value"]!.ToJsonString()}");

    private static DateTimeOffset Hour(DateTimeOffset t) =>
        new(t.UtcDateTime.Year, t.UtcDateTime.Month, t.UtcDateTime.Day, t.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    private static string Iso(DateTimeOffset t) => t.Offset == TimeSpan.Zero
        ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
