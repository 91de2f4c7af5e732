using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>One real hub (HTTPS, DuckDB) shared by the tests of <see cref="EventsMetricsEndToEndTests"/>.</summary>
public sealed class SharedHubFixture : IAsyncLifetime
{
    public HubHost Hub { get; private set; } = null!;

    /// <summary>A key with write:events, read:events and read:metrics.</summary>
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await HubHost.StartAsync();
        Client = Hub.Client(await Hub.LoginKeyAsync(
            extra: new { permissions = new[] { "write:events", "read:events", "read:metrics" } }));
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>
/// PRODUCT.md §6.1 and §6.2 through the whole hub: every test sends over HTTPS and reads back through the
/// metrics API or <c>GET /v1/events</c>, with expected values computed here from what was sent. Each test uses
/// event names of its own, so they share one hub without seeing each other's events.
/// </summary>
public sealed class EventsMetricsEndToEndTests(SharedHubFixture fixture) : IClassFixture<SharedHubFixture>
{
    private const string AllTime = "2000-01-01T00:00:00Z";
    private const string EndOfTime = "2100-01-01T00:00:00Z";

    private HttpClient Client => fixture.Client;

    public static TheoryData<string, string, string> MalformedBodies() => new()
    {
        { "truncated", "application/json", """[{"name":"NAME"},{"name":"NAME","properties":{"a":""" },
        { "invalid UTF-8", "application/json",
          "[{\"name\":\"NAME\"},{\"name\":\"NAME\",\"properties\":{\"a\":\"\xFF\"}}]" },
        { "lone surrogate in a property name", "application/json",
          """[{"name":"NAME"},{"name":"NAME","properties":{"\uDC01":1}}]""" },
        { "duplicate key", "application/json", """[{"name":"NAME"},{"name":"NAME","properties":{"k":1,"k":2}}]""" },
        { "bare number", "application/json", "42" },
        { "unparseable NDJSON line", "application/x-ndjson", "{\"name\":\"NAME\"}\n{\"name\":\"NAME\"\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Post_MalformedBody_400ProblemAndNothingStored(string label, string contentType, string body)
    {
        var name = "malformed-" + label.Replace(' ', '-');
        var bytes = Latin1OrUtf8(body.Replace("NAME", name, StringComparison.Ordinal));
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new(contentType);

        using var response = await Client.PostAsync("/v1/events", content);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        Assert.Equal(0, await CountAsync(name));
    }

    [Fact]
    public async Task Post_5001Events_413AndNothingStored()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"name":"limit-5001"}""", 5_001)) + "]";

        using var response = await Client.PostAsync("/v1/events", Json(body));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", problem.GetProperty("code").GetString());
        Assert.Equal(0, await CountAsync("limit-5001"));
    }

    [Fact]
    public async Task Post_5000Events_AllStored()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"name":"limit-5000"}""", 5_000)) + "]";

        using var response = await Client.PostAsync("/v1/events", Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5_000, await CountAsync("limit-5000"));
    }

    [Fact]
    public async Task Post_EventOver1MiB_RejectedAloneAndTheRestStored()
    {
        var filler = new string('x', 1024 * 1024);
        var body = $$$"""
            [{"name":"big","properties":{"s":"{{{filler}}}"}},{"name":"big","properties":{"s":"small"}}]
            """;

        using var response = await Client.PostAsync("/v1/events", Json(body));
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((1, 1), ((int)json!["accepted"]!, (int)json["rejected"]!));
        Assert.Equal("rejected", (string)json["results"]![0]!["status"]!);
        Assert.Contains("1 MiB", (string)json["results"]![0]!["reason"]!, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync("big"));
    }

    [Fact]
    public async Task Post_GzipInflatingFarPast10MiB_413AndNothingStored()
    {
        // One real event, then 64 MiB of JSON whitespace: about 64 KiB on the wire.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("""[{"name":"gzip-bomb"}"""u8);
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < 64; i++) gzip.Write(spaces);
            gzip.Write("]"u8);
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await Client.PostAsync("/v1/events", content);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.True(compressed.Length < 1024 * 1024, $"the bomb is {compressed.Length} bytes compressed");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", problem.GetProperty("code").GetString());
        Assert.Equal(0, await CountAsync("gzip-bomb"));
    }

    [Fact]
    public async Task Post_SameIdsFromConcurrentRequests_EachStoredOnceAndAcceptedOnce()
    {
        const int requests = 8;
        var ids = Enumerable.Range(0, 300).Select(i => $"conc-{i}").ToList();
        var body = "[" + string.Join(",", ids.Select(id => $$"""{"id":"{{id}}","name":"concurrent-dup"}""")) + "]";

        var answers = await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => Task.Run(async () =>
        {
            using var response = await Client.PostAsync("/v1/events", Json(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        })));

        var acceptedIds = answers.SelectMany(a => a["results"]!.AsArray())
            .Where(r => (string)r!["status"]! == "accepted").Select(r => (string)r!["id"]!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), acceptedIds.Order(StringComparer.Ordinal));
        Assert.Equal((requests - 1) * ids.Count, answers.Sum(a => (int)a["duplicates"]!));
        Assert.Equal(ids.Count, await CountAsync("concurrent-dup"));
    }

    [Fact]
    public async Task Query_HostilePropertyNames_StoredAndQueriedAsData()
    {
        string[] names = ["a'b", "$.path", "\"", "\\", "ключ 🔑", "a.b[0]", "x') OR 1=1 --"];
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i];
            var eventName = $"hostile-{i}";
            // Decoys that a name wrongly read as a JSON path or SQL would hit instead.
            JsonObject Props(string value) => new()
            {
                [name] = value, ["a"] = "y", ["b"] = "y", ["path"] = "y", ["$"] = "y", ["x"] = "y",
            };
            var events = new JsonArray(
                new JsonObject { ["name"] = eventName, ["properties"] = Props("x") },
                new JsonObject { ["name"] = eventName, ["properties"] = Props("y") },
                new JsonObject { ["name"] = eventName, ["properties"] = Props("y") });
            using (var sent = await Client.PostAsJsonAsync("/v1/events", events))
                Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

            var filtered = await QueryAsync(new JsonObject
            {
                ["event"] = eventName, ["from"] = AllTime, ["to"] = EndOfTime,
                ["filters"] = new JsonArray(new JsonObject { ["property"] = name, ["op"] = "eq", ["value"] = "y" }),
            });
            var broken = await QueryAsync(new JsonObject
            {
                ["event"] = eventName, ["from"] = AllTime, ["to"] = EndOfTime, ["breakdown"] = name,
            });
            var stored = await Client.GetFromJsonAsync<JsonObject>($"/v1/events?name={eventName}");

            Assert.Equal(2, (long)filtered["series"]![0]!["total"]!);
            Assert.Equal(["y=2", "x=1"],
                broken["series"]!.AsArray().Select(s => $"{(string)s!["key"]!}={(long)s["total"]!}"));
            Assert.Equal(["x", "y", "y"],
                stored!["data"]!.AsArray().Select(e => (string)e!["properties"]![name]!).Order());
        }
    }

    [Fact]
    public async Task Query_PragueDstDays_23And25HoursAndRepeatedHourTwice()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Prague");
        // An event every 30 minutes over both 2024 transitions (31 March and 27 October), with a day either side.
        var instants = new List<DateTimeOffset>();
        foreach (var start in new[] { Utc(2024, 3, 29, 22), Utc(2024, 10, 25, 21) })
        {
            for (var t = start; t < start.AddDays(4); t = t.AddMinutes(30)) instants.Add(t);
        }

        await SendAsync("prague", instants);

        // Days: 30 March to 1 April and 26 to 28 October, local midnight to local midnight.
        foreach (var (first, last) in new[] { (new DateOnly(2024, 3, 30), new DateOnly(2024, 4, 1)),
                     (new DateOnly(2024, 10, 26), new DateOnly(2024, 10, 28)) })
        {
            var result = await QueryAsync(new JsonObject
            {
                ["event"] = "prague", ["interval"] = "day", ["timezone"] = "Europe/Prague",
                ["from"] = Format(LocalMidnight(first, zone)), ["to"] = Format(LocalMidnight(last.AddDays(1), zone)),
            });
            var expected = new List<string>();
            for (var day = first; day <= last; day = day.AddDays(1))
            {
                var (start, end) = (LocalMidnight(day, zone), LocalMidnight(day.AddDays(1), zone));
                expected.Add($"{Format(start)}={instants.Count(t => t >= start && t < end)}");
            }

            Assert.Equal(expected, Points(result));
        }

        // The repeated hour of 27 October: 02:00+02:00 and then 02:00+01:00, two points of two events each.
        var hourly = await QueryAsync(new JsonObject
        {
            ["event"] = "prague", ["interval"] = "hour", ["timezone"] = "Europe/Prague",
            ["from"] = "2024-10-27T00:00:00+02:00", ["to"] = "2024-10-28T00:00:00+01:00",
        });
        var hours = new List<string>();
        for (var t = Utc(2024, 10, 26, 22); t < Utc(2024, 10, 27, 23); t = t.AddHours(1))
        {
            var hour = t;
            var count = instants.Count(i => i >= hour && i < hour.AddHours(1));
            hours.Add($"{Format(TimeZoneInfo.ConvertTime(hour, zone))}={count}");
        }

        Assert.Equal(25, hours.Count);
        Assert.Equal(hours, Points(hourly));
        Assert.Equal(["2024-10-27T02:00:00+02:00=2", "2024-10-27T02:00:00+01:00=2"], Points(hourly).Skip(2).Take(2));
    }

    [Fact]
    public async Task Query_PercentilesOfKnownDistribution_LinearInterpolationBetweenClosestRanks()
    {
        // 1,000 values skewed towards the low end (squares), sent in shuffled order, plus events without a number.
        var values = Enumerable.Range(1, 1_000).Select(i => i * i / 100.0).ToList();
        var shuffled = values.OrderBy(v => (v * 7919) % 1_009).ToList();
        var events = new JsonArray([.. shuffled.Select(v => (JsonNode)new JsonObject
        {
            ["name"] = "latency", ["timestamp"] = "2024-05-01T12:00:00Z",
            ["properties"] = new JsonObject { ["ms"] = v },
        })]);
        events.Add(new JsonObject { ["name"] = "latency", ["timestamp"] = "2024-05-01T12:00:00Z",
            ["properties"] = new JsonObject { ["ms"] = "slow" } });
        events.Add(new JsonObject { ["name"] = "latency", ["timestamp"] = "2024-05-01T12:00:00Z" });
        using (var sent = await Client.PostAsJsonAsync("/v1/events", events))
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        var sorted = values.Order().ToList();
        foreach (var (measure, q) in new[] { ("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99) })
        {
            var result = await QueryAsync(new JsonObject
            {
                ["event"] = "latency", ["measure"] = measure, ["property"] = "ms", ["interval"] = "none",
                ["from"] = "2024-05-01T00:00:00Z", ["to"] = "2024-05-02T00:00:00Z",
            });

            var rank = q * (sorted.Count - 1);
            var low = (int)Math.Floor(rank);
            var expected = sorted[low] + ((rank - low) * (sorted[low + 1] - sorted[low]));
            Assert.Equal(expected, (double)result["series"]![0]!["total"]!, 1e-9);
            Assert.Equal(expected, (double)result["series"]![0]!["points"]![0]!["value"]!, 1e-9);
        }
    }

    [Theory]
    [InlineData("minute", "2024-05-01T00:00:00Z", "2024-05-08T00:01:00Z", null, "interval")] // 10,081 buckets
    [InlineData("hour", "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z", "path", "limit")] // 744 × 1,001 points
    public async Task Query_PastBounds_400NamingTheField(
        string interval, string from, string to, string? breakdown, string field)
    {
        using var response = await Client.PostAsJsonAsync("/v1/metrics/query", new JsonObject
        {
            ["event"] = "bounds", ["interval"] = interval, ["from"] = from, ["to"] = to, ["breakdown"] = breakdown,
            ["limit"] = breakdown is null ? 10 : 1_000,
        });
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    private async Task SendAsync(string name, List<DateTimeOffset> instants)
    {
        foreach (var chunk in instants.Chunk(1_000))
        {
            var events = new JsonArray([.. chunk.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = name, ["timestamp"] = Format(t),
            })]);
            using var sent = await Client.PostAsJsonAsync("/v1/events", events);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
    }

    private async Task<JsonObject> QueryAsync(JsonObject query) => await SeedFlowTests.QueryAsync(Client, query);

    private async Task<long> CountAsync(string name)
    {
        var result = await QueryAsync(new JsonObject { ["event"] = name, ["from"] = AllTime, ["to"] = EndOfTime });
        return (long)result["series"]![0]!["total"]!;
    }

    private static List<string> Points(JsonObject result) =>
        [.. result["series"]![0]!["points"]!.AsArray()
            .Select(p => $"{(string)p!["t"]!}={p["value"]!.ToJsonString()}")];

    private static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    private static DateTimeOffset Utc(int year, int month, int day, int hour) => new(year, month, day, hour, 0, 0,
        TimeSpan.Zero);

    private static string Format(DateTimeOffset t) => t.Offset == TimeSpan.Zero
        ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>UTF-8, except that a char U+0080–U+00FF stands for that raw byte (to send invalid UTF-8).</summary>
    private static byte[] Latin1OrUtf8(string body) =>
        body.Any(c => c is >= '\u0080' and <= '\u00FF') ? Encoding.Latin1.GetBytes(body) : Encoding.UTF8.GetBytes(body);
}
