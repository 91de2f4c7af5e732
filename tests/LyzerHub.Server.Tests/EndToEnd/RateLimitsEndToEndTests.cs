using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Events;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// Rate limits through the real hub over HTTPS, on fake time: the IETF fields on every authenticated answer, 429
/// problems with a Retry-After that is never early, exact counting under parallel bursts, and tenants that cannot
/// slow each other down.
/// </summary>
public sealed class RateLimitsEndToEndTests
{
    // Rejections are a client's own doing and log at Debug, below the shipped configuration's level.
    private const string DebugLogs = "--Logging:LogLevel:LyzerHub=Debug";

    private static readonly string[] s_readMetrics = ["read:metrics"];

    [Fact]
    public async Task Answers_SuccessAndErrors_CarryBothPoliciesAndTheKeysState()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var client = hub.Client(await hub.LoginKeyAsync());

        using var ok = await client.GetAsync("/v1/auth/whoami");
        using var forbidden = await client.GetAsync("/v1/users");
        using var notFound = await client.GetAsync("/v1/keys/key_0000000000000000");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        foreach (var answer in new[] { ok, forbidden, notFound })
            Assert.Equal("\"key\";q=6000;w=60, \"tenant\";q=30000;w=60", Field(answer, "RateLimit-Policy"));
        Assert.Equal("\"key\";r=5999;t=60", Field(ok, "RateLimit"));
        Assert.Equal("\"key\";r=5998;t=60", Field(forbidden, "RateLimit"));
        Assert.Equal("\"key\";r=5997;t=60", Field(notFound, "RateLimit"));
    }

    [Fact]
    public async Task Burst_FortyParallelRequestsAgainstAKeyLimitOfTen_ExactlyTenServed()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var key = await CreateKeyAsync(login, new { requests = 10, window_seconds = 60 });
        var clients = Enumerable.Range(0, 8).Select(_ => hub.Client(key)).ToArray();

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await clients[i % clients.Length].GetAsync("/v1/auth/whoami");
            return ((int)response.StatusCode, response.Headers.RetryAfter?.ToString());
        }));

        Assert.Equal(10, answers.Count(a => a.Item1 == 200));
        Assert.Equal(30, answers.Count(a => a.Item1 == 429));
        // Time stands still: every refusal waits for the whole window the first request opened.
        Assert.All(answers.Where(a => a.Item1 == 429), a => Assert.Equal("60", a.Item2));
    }

    [Fact]
    public async Task Refused_KeysOwnLimitUsedUp_RateLimitedProblemAndRetryAfterRoundedUp()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var key = await CreateKeyAsync(login, new { requests = 2, window_seconds = 10 });
        var client = hub.Client(key);
        (await client.GetAsync("/v1/auth/whoami")).Dispose();
        (await client.GetAsync("/v1/auth/whoami")).Dispose();
        hub.Time!.Advance(TimeSpan.FromMilliseconds(2_500));

        using var refused = await client.GetAsync("/v1/auth/whoami");
        var problem = await refused.Content.ReadFromJsonAsync<JsonObject>();
        hub.Time.Advance(TimeSpan.FromMilliseconds(7_499));
        using var early = await client.GetAsync("/v1/auth/whoami");
        hub.Time.Advance(TimeSpan.FromMilliseconds(1));
        using var served = await client.GetAsync("/v1/auth/whoami");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal("rate_limited", (string)problem!["code"]!);
        Assert.Equal("/problems/rate_limited", (string)problem["type"]!);
        Assert.Equal(429, (int)problem["status"]!);
        Assert.Equal("/v1/auth/whoami", (string)problem["instance"]!);
        Assert.Equal("key", (string)problem["policy"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["request_id"]));
        // 7.5 s remain: Retry-After rounds up to 8, never down to an instant at which the hub would still refuse.
        Assert.Equal("8", refused.Headers.RetryAfter!.ToString());
        Assert.Equal("\"key\";q=2;w=10, \"tenant\";q=30000;w=60", Field(refused, "RateLimit-Policy"));
        Assert.Equal("\"key\";r=0;t=8", Field(refused, "RateLimit"));
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("\"key\";r=1;t=10", Field(served, "RateLimit"));
    }

    [Fact]
    public async Task Tenant_KeysShareItsBudget_MoreKeysDoNotMultiplyItAndOtherTenantsAreUntouched()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = HubHost.OwnerPermissions }));
        using (var patched = await owner.PatchAsJsonAsync("/v1/tenant",
                   new { tenant_rate_limit = new { requests = 30, window_seconds = 60 } }))
        {
            var policy = (await patched.Content.ReadFromJsonAsync<JsonObject>())!["policy"]!;
            Assert.Equal(30, (int)policy["tenant_rate_limit"]!["requests"]!);
            Assert.Equal(6000, (int)policy["default_key_rate_limit"]!["requests"]!);
        }

        var keys = new List<string>();
        for (var i = 0; i < 3; i++) keys.Add(await CreateKeyAsync(owner, null));
        var otherTenantKey = await OtherTenantKeyAsync(hub);
        hub.Time!.Advance(TimeSpan.FromSeconds(60));

        var statuses = await Task.WhenAll(keys.SelectMany(key => Enumerable.Range(0, 15).Select(async _ =>
        {
            using var response = await hub.Client(key).GetAsync("/v1/auth/whoami");
            return (int)response.StatusCode;
        })));
        using var refused = await hub.Client(keys[0]).GetAsync("/v1/auth/whoami");
        var problem = await refused.Content.ReadFromJsonAsync<JsonObject>();
        using var other = await hub.Client(otherTenantKey).GetAsync("/v1/auth/whoami");

        Assert.Equal(30, statuses.Count(s => s == 200));
        Assert.Equal(15, statuses.Count(s => s == 429));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("tenant", (string)problem!["policy"]!);
        Assert.Equal("\"tenant\";r=0;t=60", Field(refused, "RateLimit"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal("\"key\";r=5999;t=60", Field(other, "RateLimit"));
    }

    [Fact]
    public async Task Policy_DefaultKeyLimit_AppliesToKeysWithoutTheirOwnAndBoundsNewOnes()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        await hub.PatchPolicyAsync(new { default_key_rate_limit = new { requests = 100, window_seconds = 60 } });
        var login = hub.Client(await hub.LoginKeyAsync());

        using var whoami = await login.GetAsync("/v1/auth/whoami");
        using var tooLoose = await login.PostAsJsonAsync("/v1/keys", new
        {
            name = "loose", permissions = s_readMetrics, rate_limit = new { requests = 101, window_seconds = 60 },
        });
        var problem = await tooLoose.Content.ReadFromJsonAsync<JsonObject>();
        var tenant = await login.GetFromJsonAsync<JsonObject>("/v1/tenant");

        Assert.Equal("\"key\";q=100;w=60, \"tenant\";q=30000;w=60", Field(whoami, "RateLimit-Policy"));
        Assert.Equal(HttpStatusCode.BadRequest, tooLoose.StatusCode);
        Assert.Contains(problem!["errors"]!.AsArray(), e => (string)e!["field"]! == "rate_limit");
        Assert.Contains("100 requests per 60 s", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Equal(100, (int)tenant!["policy"]!["default_key_rate_limit"]!["requests"]!);
        Assert.Equal(30000, (int)tenant["policy"]!["tenant_rate_limit"]!["requests"]!);
    }

    [Fact]
    public async Task Policy_InvalidLimit_400NamingTheFieldAndNothingChanged()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = HubHost.OwnerPermissions }));

        using var response = await owner.PatchAsJsonAsync("/v1/tenant", new
        {
            max_key_lifetime_seconds = 3600,
            tenant_rate_limit = new { requests = 0, window_seconds = 60 },
            default_key_rate_limit = new { requests = 10, window_seconds = 90000 },
        });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        var tenant = await owner.GetFromJsonAsync<JsonObject>("/v1/tenant");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var fields = problem!["errors"]!.AsArray().Select(e => (string)e!["field"]!).ToArray();
        Assert.Contains("tenant_rate_limit.requests", fields);
        Assert.Contains("default_key_rate_limit.window_seconds", fields);
        Assert.Equal(90L * 24 * 3600, (long)tenant!["policy"]!["max_key_lifetime_seconds"]!);
        Assert.Equal(30000, (int)tenant["policy"]!["tenant_rate_limit"]!["requests"]!);
    }

    [Fact]
    public async Task Address_LoginAndAnonymousRevoke_LimitedPerClientAddress()
    {
        await using var hub = await HubHost.StartAsync(true, null, "--Hub:KnownProxies:0=127.0.0.1",
            "--Hub:RateLimits:Address:Requests=3");
        var key = await hub.LoginKeyAsync(); // from 127.0.0.1, its own address

        var logins = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var login = await SendAsync(hub, HttpMethod.Post, "/v1/auth/key", "203.0.113.7",
                new { username = "admin", password = HubHost.AdminPassword });
            logins.Add(login.StatusCode);
            if (i == 3)
            {
                Assert.Equal("60", login.Headers.RetryAfter!.ToString());
                Assert.Equal("\"address\";q=3;w=60", Field(login, "RateLimit-Policy"));
                Assert.Equal("\"address\";r=0;t=60", Field(login, "RateLimit"));
            }
        }

        using var anonymousRevoke = await SendAsync(hub, HttpMethod.Post, "/v1/auth/revoke", "203.0.113.7",
            new { key = KeyFormat.Generate() });
        using var revokeWithKey = await SendAsync(hub, HttpMethod.Post, "/v1/auth/revoke", "203.0.113.7", null, key);
        using var elsewhere = await SendAsync(hub, HttpMethod.Post, "/v1/auth/key", "198.51.100.9",
            new { username = "admin", password = HubHost.AdminPassword });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            logins);
        Assert.Equal(HttpStatusCode.TooManyRequests, anonymousRevoke.StatusCode);
        // With a valid bearer key the revoke is authenticated, so its key's limits apply, not the address's.
        Assert.Equal(HttpStatusCode.OK, revokeWithKey.StatusCode);
        Assert.StartsWith("\"key\";", Field(revokeWithKey, "RateLimit"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task FailedAuthentication_BudgetUsedUp_429AndNoMoreLookupsWhileCachedKeysStillWork()
    {
        await using var hub = await HubHost.StartAsync(true, null, "--Hub:RateLimits:FailedAuthentication:Requests=3",
            DebugLogs);
        var cached = hub.Client(await hub.LoginKeyAsync());
        (await cached.GetAsync("/v1/auth/whoami")).Dispose();
        var notYetUsed = await hub.LoginKeyAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            // Well formed, right checksum, in no store: each one costs a lookup.
            using var response = await hub.Client(KeyFormat.Generate()).GetAsync("/v1/auth/whoami");
            statuses.Add(response.StatusCode);
        }

        using var stillCached = await cached.GetAsync("/v1/auth/whoami");
        using var uncached = await hub.Client(notYetUsed).GetAsync("/v1/auth/whoami");
        var problem = await uncached.Content.ReadFromJsonAsync<JsonObject>();
        hub.Time!.Advance(TimeSpan.FromSeconds(60));
        using var afterWindow = await hub.Client(notYetUsed).GetAsync("/v1/auth/whoami");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
            HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, stillCached.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, uncached.StatusCode);
        Assert.Equal("failed_authentication", (string)problem!["policy"]!);
        Assert.Equal(2, hub.Logs.Entries.Count(e => e.EventId.Id == 6002)); // the 4th made-up key and the uncached one
        Assert.Equal(HttpStatusCode.OK, afterWindow.StatusCode);
    }

    [Fact]
    public async Task Rejection_Sink_ToldTenantKeyAddressAndPolicy()
    {
        var sink = new RecordingSink();
        await using var hub = await HubHost.StartAsync(true, s => s.AddSingleton<IRateLimitRejectionSink>(sink),
            DebugLogs);
        var owner = hub.Client(await hub.LoginKeyAsync());
        var keyId = "";
        var key = await CreateKeyAsync(owner, new { requests = 1, window_seconds = 60 }, id => keyId = id);
        var tenantId = await hub.DefaultTenantIdAsync();

        (await hub.Client(key).GetAsync("/v1/auth/whoami")).Dispose();
        (await hub.Client(key).GetAsync("/v1/auth/whoami")).Dispose();

        var rejection = Assert.Single(sink.Rejections);
        Assert.Equal(new RateLimitRejection(tenantId, keyId, "127.0.0.1", "key", hub.Time!.GetUtcNow()), rejection);
        Assert.Contains(hub.Logs.Entries, e => e.EventId.Id == 6001);
    }

    [Fact]
    public async Task Answers_UnhandledFailure_500StillCarriesTheFields()
    {
        await using var hub = await HubHost.StartAsync(true, s => s.AddSingleton<IEventStore>(new FailingEventStore()));
        var client = hub.Client(await hub.LoginKeyAsync());
        (await client.GetAsync("/v1/auth/whoami")).Dispose();

        using var failed = await client.GetAsync("/v1/metrics/events");
        var problem = await failed.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("internal_error", (string)problem!["code"]!);
        Assert.Equal("\"key\";q=6000;w=60, \"tenant\";q=30000;w=60", Field(failed, "RateLimit-Policy"));
        Assert.Equal("\"key\";r=5998;t=60", Field(failed, "RateLimit"));
    }

    [Fact]
    public async Task Start_WrongLimitSetting_RefusedWithOneLineNamingIt()
    {
        var error = await Assert.ThrowsAsync<LyzerHub.Server.Hosting.HubConfigurationException>(() =>
            HubHost.StartAsync(false, null, "--Hub:RateLimits:Tenant:WindowSeconds=0"));

        Assert.Equal("Hub:RateLimits:Tenant:WindowSeconds must be from 1 to 86400 seconds.", error.Message);
    }

    private static string Field(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    private static async Task<string> CreateKeyAsync(HttpClient client, object? rateLimit, Action<string>? id = null)
    {
        using var response = await client.PostAsJsonAsync("/v1/keys",
            new { name = "limited", permissions = s_readMetrics, rate_limit = rateLimit });
        var created = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, created?.ToJsonString());
        id?.Invoke((string)created!["id"]!);
        return (string)created!["key"]!;
    }

    /// <summary>A key of a second tenant, made by the operator (its own requests count in tenant default).</summary>
    private static async Task<string> OtherTenantKeyAsync(HubHost hub)
    {
        var operatorKey = await hub.LoginKeyAsync(extra: new { permissions = new[] { "admin:hub" } });
        using var created = await hub.Client(operatorKey).PostAsJsonAsync("/v1/tenants", new
        {
            slug = "globex", owner = new { username = "grace@globex.example", password = "globex-owner-password" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return await hub.LoginKeyAsync("grace@globex.example", "globex-owner-password");
    }

    private static async Task<HttpResponseMessage> SendAsync(
        HubHost hub, HttpMethod method, string path, string forwardedFor, object? body, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await hub.Client(key).SendAsync(request);
    }

    /// <summary>An event store whose reads fail as if it were broken: the hub answers 500.</summary>
    private sealed class FailingEventStore : IEventStore
    {
        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("broken store");

        public Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("broken store");

        public Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(
            string tenantId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("broken store");

        public IAsyncEnumerable<StoredEvent> ListEventsAsync(
            string tenantId, EventListQuery query, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("broken store");

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class RecordingSink : IRateLimitRejectionSink
    {
        public List<RateLimitRejection> Rejections { get; } = [];

        public void OnRejected(HttpContext context, RateLimitRejection rejection)
        {
            lock (Rejections) Rejections.Add(rejection);
        }
    }
}
