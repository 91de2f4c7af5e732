using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.EndToEnd;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.Events;

/// <summary>
/// <c>GET /v1/events</c> through the whole hub over HTTPS: events go in through <c>POST /v1/events</c> and come
/// back through the list and the NDJSON export; expected orders are computed by the test from what it sent.
/// </summary>
public sealed class EventsReadHttpTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_base = new(2024, 5, 17, 10, 0, 0, TimeSpan.Zero);
    private HubHost _hub = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubHost.StartAsync();
        _client = _hub.Client(await _hub.LoginKeyAsync(
            extra: new { permissions = new[] { "write:events", "read:events" } }));
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task List_PagedThroughEqualTimestampsWhileEventsArrive_EveryEventExactlyOnce()
    {
        var sent = Enumerable.Range(0, 40).Select(i => Item($"ev{i:D2}", s_base.AddSeconds(i % 3), i)).ToList();
        await PostAsync(_client, sent);
        var expected = sent.OrderByDescending(e => e.Timestamp)
            .ThenByDescending(e => e.Id, StringComparer.Ordinal)
            .Select(e => e.Id)
            .ToList();

        var served = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetAsync("/v1/events?limit=7" + (cursor is null ? "" : "&cursor=" + cursor));
            served.AddRange(page["data"]!.AsArray().Select(e => (string)e!["id"]!));
            cursor = (string?)page["next_cursor"];

            // A newer event, and one at a timestamp already served, arrive mid-paging: both sort before the
            // position reached, so neither appears and nothing shifts.
            if (++pages == 2)
            {
                await PostAsync(_client,
                    [Item("late-newer", s_base.AddHours(1), 0), Item("ev99", s_base.AddSeconds(2), 0)]);
            }
        }
        while (cursor is not null);

        Assert.Equal(expected, served);
        Assert.Equal(6, pages);
    }

    [Fact]
    public async Task List_OneEvent_AnswersEveryFieldInUtc()
    {
        await PostAsync(_client,
        [
            new JsonObject
            {
                ["id"] = "one", ["name"] = "signup", ["distinct_id"] = "u1",
                ["timestamp"] = "2024-05-17T12:00:00.5+02:00", ["properties"] = new JsonObject { ["a'b"] = 1 },
            },
        ]);

        var page = await GetAsync("/v1/events?name=signup");

        var item = Assert.Single(page["data"]!.AsArray())!.AsObject();
        Assert.Equal(["id", "name", "timestamp", "distinct_id", "properties", "received_at"],
            item.Select(p => p.Key));
        Assert.Equal("2024-05-17T10:00:00.5Z", (string)item["timestamp"]!);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["a'b"] = 1 }, item["properties"]));
        Assert.EndsWith("Z", (string)item["received_at"]!, StringComparison.Ordinal);
        Assert.Null(page["next_cursor"]);
    }

    [Fact]
    public async Task List_FromToAndName_FilterHalfOpen()
    {
        await PostAsync(_client,
            [Item("a", s_base, 0), Item("b", s_base.AddHours(1), 0), Item("c", s_base.AddHours(2), 0),
             Item("d", s_base.AddHours(1), 0, name: "other")]);

        var page = await GetAsync("/v1/events?name=page_view&from=2024-05-17T06:00:00-05:00"
            + "&to=" + Uri.EscapeDataString("2024-05-17T14:00:00+02:00"));

        Assert.Equal(["b"], page["data"]!.AsArray().Select(e => (string)e!["id"]!));
    }

    [Fact]
    public async Task List_AnotherTenantsEvents_NeverAppear()
    {
        var (_, password) = await AuthEndToEndTests.CreateTenantAsync(_hub, "globex", "bob@globex.test");
        var bob = _hub.Client(await _hub.LoginKeyAsync("bob@globex.test", password,
            new { permissions = new[] { "write:events", "read:events" } }));
        await PostAsync(bob, [Item("same-id", s_base, 1), Item("bob-only", s_base, 2)]);
        await PostAsync(_client, [Item("same-id", s_base, 3)]);

        var mine = await GetAsync("/v1/events");
        using var export = await ExportAsync(_client, "/v1/events");
        var lines = await ReadLinesAsync(export);

        var item = Assert.Single(mine["data"]!.AsArray())!;
        Assert.Equal(3, (int)item["properties"]!["n"]!);
        Assert.Equal(["same-id"], lines.Select(l => (string)l["id"]!));
    }

    [Fact]
    public async Task List_KeyWithoutReadEvents_403NamingIt()
    {
        var writer = _hub.Client(await _hub.LoginKeyAsync(extra: new { permissions = new[] { "write:events" } }));

        using var response = await writer.GetAsync("/v1/events");
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("read:events", (string)problem!["permission"]!);
        Assert.Contains("read:events", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("from=2024-05-17T10:00:00", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2024-05-18T00:00:00Z&to=2024-05-17T00:00:00Z", "to")]
    [InlineData("name=", "name")]
    public async Task List_InvalidParameter_400NamingTheField(string query, string field)
    {
        using var response = await _client.GetAsync("/v1/events?" + query);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (string)problem!["code"]!);
        Assert.Equal(field, (string)problem["errors"]![0]!["field"]!);
    }

    [Fact]
    public async Task Export_AcceptNdjson_StreamsEveryMatchingEventNewestFirst()
    {
        var sent = Enumerable.Range(0, 2500).Select(i => Item($"n{i:D4}", s_base.AddSeconds(i / 10), i)).ToList();
        for (var i = 0; i < sent.Count; i += 1000) await PostAsync(_client, sent.Skip(i).Take(1000).ToList());
        await PostAsync(_client, [Item("skipped", s_base, 0, name: "other")]);

        using var response = await ExportAsync(_client, "/v1/events?name=page_view&limit=5");
        var lines = await ReadLinesAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(
            sent.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id, StringComparer.Ordinal)
                .Select(e => e.Id),
            lines.Select(l => (string)l["id"]!));
        Assert.Equal(2499, (int)lines[0]["properties"]!["n"]!);
    }

    private static SentEvent Item(string id, DateTimeOffset ts, int n, string name = "page_view") =>
        new(id, ts, new JsonObject
        {
            ["id"] = id, ["name"] = name, ["timestamp"] = ts.ToString("O"),
            ["properties"] = new JsonObject { ["n"] = n },
        });

    private static Task PostAsync(HttpClient client, IReadOnlyList<SentEvent> events) =>
        PostAsync(client, events.Select(e => e.Json).ToList());

    private static async Task PostAsync(HttpClient client, IReadOnlyList<JsonObject> events)
    {
        var body = string.Join('\n', events.Select(e => e.ToJsonString()));
        using var content = new StringContent(body, Encoding.UTF8, "application/x-ndjson");
        using var response = await client.PostAsync("/v1/events", content);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json?.ToJsonString());
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json?.ToJsonString());
        return json!;
    }

    private static async Task<HttpResponseMessage> ExportAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<List<JsonObject>> ReadLinesAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!.AsObject())
            .ToList();
    }

    private sealed record SentEvent(string Id, DateTimeOffset Timestamp, JsonObject Json);
}
