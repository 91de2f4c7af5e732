using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>The README's walk-through, end to end: log in, send, read a metric, revoke, and be refused.</summary>
public sealed class SeedFlowTests
{
    [Fact]
    public async Task SeedFlow_LoginSendReadRevoke_NextRequestUnauthorized()
    {
        await using var hub = await HubHost.StartAsync();
        var login = await hub.LoginAsync(extra: new { permissions = new[] { "read:metrics", "write:events" } });
        var client = hub.Client((string)login["key"]!);
        var now = DateTimeOffset.UtcNow;
        var signup = new JsonObject
        {
            ["id"] = "evt-1", ["name"] = "signup", ["distinct_id"] = "u1",
            ["timestamp"] = now.ToString("O"), ["properties"] = new JsonObject { ["plan"] = "pro", ["amount"] = 49.5 },
        };

        using var first = await client.PostAsJsonAsync("/v1/events", signup);
        using var again = await client.PostAsJsonAsync("/v1/events", signup);
        var firstJson = await first.Content.ReadFromJsonAsync<JsonObject>();
        var againJson = await again.Content.ReadFromJsonAsync<JsonObject>();
        var sum = await QueryAsync(client, new
        {
            @event = "signup", measure = "sum", property = "amount",
            from = now.AddHours(-1).ToString("O"), to = now.AddHours(1).ToString("O"),
        });
        using (var revoke = await client.DeleteAsync($"/v1/keys/{(string)login["key_id"]!}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using var afterRevoke = await client.PostAsJsonAsync("/v1/events", signup);

        Assert.Equal(1, (int)firstJson!["accepted"]!);
        Assert.Equal("accepted", (string)firstJson["results"]![0]!["status"]!);
        Assert.Equal(1, (int)againJson!["duplicates"]!);
        Assert.Equal("duplicate", (string)againJson["results"]![0]!["status"]!);
        Assert.Equal(49.5, (double)sum["series"]![0]!["total"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task Events_ObjectArrayAndNdjson_AllAccepted()
    {
        await using var hub = await HubHost.StartAsync();
        var client = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "read:metrics", "write:events" } }));

        using var one = await client.PostAsync("/v1/events", new StringContent(
            """{"name":"view"}""", Encoding.UTF8, "application/json"));
        using var array = await client.PostAsync("/v1/events", new StringContent(
            """[{"name":"view"},{"name":"view"}]""", Encoding.UTF8, "application/json"));
        using var ndjson = await client.PostAsync("/v1/events", new StringContent(
            "{\"name\":\"view\"}\n\n{\"name\":\"view\"}\n{\"name\":\"view\"}\n", Encoding.UTF8,
            "application/x-ndjson"));
        var count = await QueryAsync(client, new
        {
            @event = "view", from = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
            to = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });

        Assert.Equal(1, (int)(await one.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!);
        Assert.Equal(2, (int)(await array.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!);
        Assert.Equal(3, (int)(await ndjson.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!);
        Assert.Equal(6, (long)count["series"]![0]!["total"]!);
    }

    [Fact]
    public async Task Events_SecondTenant_SeesNoneOfTheFirstAndMayReuseIds()
    {
        await using var hub = await HubHost.StartAsync();
        var (_, password) = await AuthEndToEndTests.CreateTenantAsync(hub, "globex", "bob@globex.test");
        var admin = hub.Client(await hub.LoginKeyAsync());
        var bob = hub.Client(await hub.LoginKeyAsync("bob@globex.test", password));
        var at = DateTimeOffset.UtcNow;
        object Event(string id) =>
            new { id, name = "purchase", timestamp = at.ToString("O"), properties = new { n = 1 } };
        var range = new
        {
            @event = "purchase", from = at.AddHours(-1).ToString("O"), to = at.AddHours(1).ToString("O"),
        };

        using var adminSend = await admin.PostAsJsonAsync("/v1/events", new[] { Event("a"), Event("b"), Event("c") });
        using var bobSend = await bob.PostAsJsonAsync("/v1/events", new[] { Event("a") });
        var adminCount = await QueryAsync(admin, range);
        var bobCount = await QueryAsync(bob, range);
        var bobNames = await bob.GetFromJsonAsync<JsonObject>("/v1/metrics/events");

        Assert.Equal(3, (int)(await adminSend.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!);
        var bobResult = await bobSend.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(1, (int)bobResult!["accepted"]!);
        Assert.Equal(0, (int)bobResult["duplicates"]!);
        Assert.Equal(3, (long)adminCount["series"]![0]!["total"]!);
        Assert.Equal(1, (long)bobCount["series"]![0]!["total"]!);
        Assert.Equal(1, (long)bobNames!["data"]![0]!["count"]!);
    }

    [Fact]
    public async Task Metrics_KeyWithoutReadMetrics_ForbiddenNamingIt()
    {
        await using var hub = await HubHost.StartAsync();
        var writer = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "write:events" } }));

        using var response = await writer.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "x", from = "2026-01-01T00:00:00Z", to = "2026-01-02T00:00:00Z",
        });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("read:metrics", (string)problem!["permission"]!);
    }

    internal static async Task<JsonObject> QueryAsync(HttpClient client, object query)
    {
        using var response = await client.PostAsJsonAsync("/v1/metrics/query", query);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json?.ToJsonString());
        return json!;
    }
}
