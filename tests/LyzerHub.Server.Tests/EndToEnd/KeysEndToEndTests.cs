using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

public sealed class KeysEndToEndTests
{
    private static readonly string[] s_readMetrics = ["read:metrics"];

    [Fact]
    public async Task CreateKey_WithLoginKey_CreatedOnceWithNoStoreAndUsable()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());

        using var response = await login.PostAsJsonAsync("/v1/keys",
            new { name = "ci deploy", permissions = s_readMetrics });
        var created = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.CacheControl!.NoStore);
        var key = (string)created!["key"]!;
        var id = (string)created["id"]!;
        Assert.True(KeyFormat.IsWellFormed(key));
        Assert.Equal($"/v1/keys/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal(key[..8], (string)created["start"]!);
        Assert.Equal("ci deploy", (string)created["name"]!);
        Assert.Equal("active", (string)created["status"]!);
        Assert.Null(created["rate_limit"]);
        Assert.Equal(s_readMetrics, created["permissions"]!.AsArray().Select(p => (string)p!));
        var expiresAt = DateTimeOffset.Parse((string)created["expires_at"]!,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1),
            TimeSpan.FromDays(30));

        var whoami = await hub.Client(key).GetFromJsonAsync<JsonObject>("/v1/auth/whoami");
        Assert.Equal(id, (string)whoami!["key"]!["id"]!);
        Assert.Equal("ci deploy", (string)whoami["key"]!["name"]!);
    }

    [Fact]
    public async Task ListAndShow_AfterCreateAndRoll_NeverReturnThePlainKey()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "shown once", permissions = s_readMetrics });
        var id = (string)created["id"]!;
        using var roll = await login.PostAsJsonAsync($"/v1/keys/{id}/roll", new { grace_seconds = 60 });
        var rolledKey = (string)(await roll.Content.ReadFromJsonAsync<JsonObject>())!["key"]!;

        var list = await login.GetStringAsync("/v1/keys?status=all");
        var show = await login.GetStringAsync($"/v1/keys/{id}");

        foreach (var body in new[] { list, show })
        {
            Assert.DoesNotContain((string)created["key"]!, body, StringComparison.Ordinal);
            Assert.DoesNotContain(rolledKey, body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"key\":", body, StringComparison.Ordinal);
        }

        Assert.Contains("\"request_count\":", show, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_PermissionBeyondCallersEffectiveSet_ForbiddenNamingIt()
    {
        await using var hub = await HubHost.StartAsync();
        var narrow = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = s_readMetrics }));

        using var response = await narrow.PostAsJsonAsync("/v1/keys",
            new { name = "stronger", permissions = new[] { "read:metrics", "read:events" } });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("missing_permission", (string)problem!["code"]!);
        Assert.Equal("read:events", (string)problem["permission"]!);
        Assert.Contains("scope=\"read:events\"", response.Headers.WwwAuthenticate.ToString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_NamedKeyWithoutManageKeys_ForbiddenNamingManageKeys()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] {
            "read:metrics", "manage:keys" } }));
        var plain = (string)(await CreateKeyAsync(login, new { name = "plain", permissions = s_readMetrics }))["key"]!;
        var manager = (string)(await CreateKeyAsync(login,
            new { name = "manager", permissions = new[] { "read:metrics", "manage:keys" } }))["key"]!;

        using var refused = await hub.Client(plain).PostAsJsonAsync("/v1/keys",
            new { name = "child", permissions = s_readMetrics });
        using var allowed = await hub.Client(manager).PostAsJsonAsync("/v1/keys",
            new { name = "child", permissions = s_readMetrics });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("manage:keys", (string)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["permission"]!);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }

    [Fact]
    public async Task CreateKey_MemberAsksForManageKeys_Forbidden()
    {
        await using var hub = await HubHost.StartAsync();
        var (_, password) = await hub.AddUserAsync("mia@example.test", "member");
        var member = hub.Client(await hub.LoginKeyAsync("mia@example.test", password));

        using var response = await member.PostAsJsonAsync("/v1/keys",
            new { name = "escalate", permissions = new[] { "read:metrics", "manage:keys" } });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("manage:keys", (string)problem!["permission"]!);
    }

    [Fact]
    public async Task CreateKey_InvalidFields_BadRequestNamingTheField()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());
        var cases = new (object Body, string Field)[]
        {
            (new { name = "long", permissions = s_readMetrics, expires_in_seconds = 90L * 24 * 3600 + 1 },
                "expires_in_seconds"),
            (new { name = "zero", permissions = s_readMetrics, expires_in_seconds = 0 }, "expires_in_seconds"),
            (new { name = "text", permissions = s_readMetrics, expires_in_seconds = "soon" }, "expires_in_seconds"),
            (new { name = "", permissions = s_readMetrics }, "name"),
            (new { name = new string('n', 201), permissions = s_readMetrics }, "name"),
            (new { name = "none", permissions = Array.Empty<string>() }, "permissions"),
            (new { name = "unknown", permissions = new[] { "read:everything" } }, "permissions"),
            (new { name = "loose", permissions = s_readMetrics,
                rate_limit = new { requests = 6001, window_seconds = 60 } }, "rate_limit"),
            (new { name = "zero rate", permissions = s_readMetrics,
                rate_limit = new { requests = 0, window_seconds = 60 } }, "rate_limit.requests"),
        };

        foreach (var (body, field) in cases)
        {
            using var response = await login.PostAsJsonAsync("/v1/keys", body);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}: {problem}");
            Assert.Equal("invalid_request", (string)problem!["code"]!);
            Assert.Contains(problem["errors"]!.AsArray(), e => (string)e!["field"]! == field);
        }
    }

    [Fact]
    public async Task CreateKey_RateLimitNoLooserThanDefault_StoredAndShown()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());

        // 100 per second is exactly the default (6000 per 60 s) expressed over another window.
        var created = await CreateKeyAsync(login, new
        {
            name = "limited", permissions = s_readMetrics, rate_limit = new { requests = 100, window_seconds = 1 },
        });
        var shown = await login.GetFromJsonAsync<JsonObject>($"/v1/keys/{(string)created["id"]!}");

        Assert.Equal(100, (int)shown!["rate_limit"]!["requests"]!);
        Assert.Equal(1, (int)shown["rate_limit"]!["window_seconds"]!);
    }

    [Fact]
    public async Task CreateKey_NonExpiring_RefusedByDefaultPolicyAndAllowedWhenPolicySaysSo()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());
        var body = new JsonObject
        {
            ["name"] = "forever", ["permissions"] = new JsonArray("read:metrics"), ["expires_in_seconds"] = null,
        };

        using var refused = await login.PostAsJsonAsync("/v1/keys", body);
        await hub.PatchPolicyAsync(new { allow_non_expiring_keys = true });
        // A fresh login reads the tenant's new policy; the earlier key's cached grant may hold the old one.
        using var allowed = await hub.Client(await hub.LoginKeyAsync()).PostAsJsonAsync("/v1/keys", body);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("expires_in_seconds", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        var created = await allowed.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(created!.ContainsKey("expires_at"));
        Assert.Null(created["expires_at"]);
    }

    [Fact]
    public async Task Roll_WithGrace_OldSecretWorksUntilGraceEndsThenOnlyTheNewOne()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "rolled", permissions = s_readMetrics });
        var (id, oldKey) = ((string)created["id"]!, (string)created["key"]!);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, oldKey)); // the old secret is cached now

        using var roll = await login.PostAsJsonAsync($"/v1/keys/{id}/roll", new { grace_seconds = 60 });
        var rolled = await roll.Content.ReadFromJsonAsync<JsonObject>();
        var newKey = (string)rolled!["key"]!;

        Assert.Equal(HttpStatusCode.OK, roll.StatusCode);
        Assert.True(roll.Headers.CacheControl!.NoStore);
        Assert.Equal(id, (string)rolled["id"]!);
        Assert.Equal(newKey[..8], (string)rolled["start"]!);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, oldKey));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, newKey));

        hub.Time!.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, oldKey));

        hub.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, oldKey));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, newKey));
        var shown = await login.GetFromJsonAsync<JsonObject>($"/v1/keys/{id}");
        Assert.Equal(newKey[..8], (string)shown!["start"]!);
    }

    [Fact]
    public async Task Roll_WithoutGrace_OldSecretRefusedAtOnce()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "rolled", permissions = s_readMetrics });
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)created["key"]!));

        using var roll = await login.PostAsync($"/v1/keys/{(string)created["id"]!}/roll", null);
        var newKey = (string)(await roll.Content.ReadFromJsonAsync<JsonObject>())!["key"]!;

        Assert.Equal(HttpStatusCode.OK, roll.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, (string)created["key"]!));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, newKey));
    }

    [Fact]
    public async Task Roll_SecondRoll_EndsTheFirstRollsGraceAtOnce()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "rolled twice", permissions = s_readMetrics });
        var (id, first) = ((string)created["id"]!, (string)created["key"]!);

        var second = await RollAsync(login, id, 3600);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, first));
        var third = await RollAsync(login, id, 3600);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, first));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, second));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, third));
    }

    [Fact]
    public async Task Roll_GraceNeverOutlivesTheKeysExpiry()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login,
            new { name = "short", permissions = s_readMetrics, expires_in_seconds = 120 });

        var newKey = await RollAsync(login, (string)created["id"]!, 3600);
        hub.Time!.Advance(TimeSpan.FromSeconds(120));

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, (string)created["key"]!));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, newKey));
    }

    [Fact]
    public async Task Roll_AnotherUsersKey_NotFoundEvenWithManageKeys()
    {
        await using var hub = await HubHost.StartAsync();
        var admin = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] {
            "read:metrics", "manage:keys" } }));
        var (_, password) = await hub.AddUserAsync("mia@example.test", "member");
        var member = hub.Client(await hub.LoginKeyAsync("mia@example.test", password));
        var membersKey = await CreateKeyAsync(member, new { name = "mine", permissions = s_readMetrics });
        var adminsKey = await CreateKeyAsync(admin, new { name = "admin's", permissions = s_readMetrics });

        using var visible = await admin.GetAsync($"/v1/keys/{(string)membersKey["id"]!}");
        using var byAdmin = await admin.PostAsync($"/v1/keys/{(string)membersKey["id"]!}/roll", null);
        using var byMember = await member.PostAsync($"/v1/keys/{(string)adminsKey["id"]!}/roll", null);

        Assert.Equal(HttpStatusCode.OK, visible.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byMember.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)membersKey["key"]!));
    }

    [Fact]
    public async Task Roll_RevokedKeyOrGraceTooLong_ConflictOrBadRequest()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "gone", permissions = s_readMetrics });
        var id = (string)created["id"]!;

        using var tooLong = await login.PostAsJsonAsync($"/v1/keys/{id}/roll", new { grace_seconds = 604801 });
        using var negative = await login.PostAsJsonAsync($"/v1/keys/{id}/roll", new { grace_seconds = -1 });
        using (var delete = await login.DeleteAsync($"/v1/keys/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var revoked = await login.PostAsync($"/v1/keys/{id}/roll", null);

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(hub, (string)created["key"]!));
    }

    [Fact]
    public async Task Introspect_ActiveKeyOfTheTenant_Rfc7662ShapeByJsonAndForm()
    {
        await using var hub = await HubHost.StartAsync();
        var caller = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "manage:keys" } }));
        var login = await hub.LoginAsync();
        var token = (string)login["key"]!;

        var byJson = await (await caller.PostAsJsonAsync("/v1/auth/introspect", new { token }))
            .Content.ReadFromJsonAsync<JsonObject>();
        using var formResponse = await caller.PostAsync("/v1/auth/introspect",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }));
        var byForm = await formResponse.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, formResponse.StatusCode);
        Assert.True(formResponse.Headers.CacheControl!.NoStore);
        Assert.Equal(byJson!.ToJsonString(), byForm!.ToJsonString());
        Assert.True((bool)byJson["active"]!);
        Assert.Equal("read:metrics write:events", (string)byJson["scope"]!);
        Assert.Equal("admin", (string)byJson["username"]!);
        Assert.Equal("default", (string)byJson["tenant"]!);
        Assert.Equal((string)login["key_id"]!, (string)byJson["key_id"]!);
        Assert.Equal("bearer", (string)byJson["token_type"]!);
        var expiresAt = DateTimeOffset.Parse((string)login["expires_at"]!,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expiresAt.ToUnixTimeSeconds(), (long)byJson["exp"]!);
        Assert.Equal(expiresAt.ToUnixTimeSeconds() - 3600, (long)byJson["iat"]!);
    }

    [Fact]
    public async Task Introspect_UnknownMalformedRevokedExpiredOrOtherTenant_OnlyActiveFalse()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var caller = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "manage:keys" } }));
        var revoked = await hub.LoginKeyAsync();
        using (await hub.Client(revoked).PostAsync("/v1/auth/revoke", null)) { }
        var expiring = await hub.LoginKeyAsync(extra: new { expires_in_seconds = 60 });
        var (_, password) = await AuthEndToEndTests.CreateTenantAsync(hub, "globex", "bob@globex.test");
        var otherTenant = await hub.LoginKeyAsync("bob@globex.test", password);
        hub.Time!.Advance(TimeSpan.FromSeconds(60));
        string[] tokens = [KeyFormat.Generate(), "nope", revoked, expiring, otherTenant];

        foreach (var token in tokens)
        {
            using var response = await caller.PostAsJsonAsync("/v1/auth/introspect", new { token });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"active\":false}", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, otherTenant)); // refused here, still valid there
    }

    [Fact]
    public async Task Introspect_WithoutManageKeys_Forbidden()
    {
        await using var hub = await HubHost.StartAsync();
        var key = await hub.LoginKeyAsync();

        using var response = await hub.Client(key).PostAsJsonAsync("/v1/auth/introspect", new { token = key });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("manage:keys", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["permission"]!);
    }

    [Fact]
    public async Task Usage_RequestsThenFlush_CountAndLastUsedShown()
    {
        // An hour between timed flushes: only the test's own FlushAsync calls write usage.
        await using var hub = await HubHost.StartAsync(false, null, "--Hub:Keys:UsageFlushSeconds=3600");
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "counted", permissions = s_readMetrics });
        var id = (string)created["id"]!;
        var flusher = hub.Services.GetRequiredService<KeyUsageFlusher>();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)created["key"]!));

        var beforeFlush = await login.GetFromJsonAsync<JsonObject>($"/v1/keys/{id}");
        await flusher.FlushAsync(CancellationToken.None);
        var afterFlush = await login.GetFromJsonAsync<JsonObject>($"/v1/keys/{id}");
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)created["key"]!));
        await flusher.FlushAsync(CancellationToken.None);
        var listed = await login.GetFromJsonAsync<JsonObject>("/v1/keys");

        Assert.Equal(0, (long)beforeFlush!["request_count"]!); // nothing is written per request
        Assert.Null(beforeFlush["last_used_at"]);
        Assert.Equal(3, (long)afterFlush!["request_count"]!);
        Assert.NotNull(afterFlush["last_used_at"]);
        var listedKey = listed!["data"]!.AsArray().Single(k => (string)k!["id"]! == id);
        Assert.Equal(5, (long)listedKey!["request_count"]!);
    }

    [Fact]
    public async Task Usage_HubStops_LastCountsWrittenOnShutdown()
    {
        await using var hub = await HubHost.StartAsync(false, null, "--Hub:Keys:UsageFlushSeconds=3600");
        var login = await hub.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)login["key"]!));
        var tenantId = await hub.DefaultTenantIdAsync();

        KeyRecord? stored = null;
        await hub.DisposeAsyncKeepingData(async dataDir =>
        {
            var store = new Server.Storage.Sqlite.SqliteControlStore(Path.Combine(dataDir, "control.db"),
                Server.Audit.AuditChainKey.LoadOrCreate(dataDir));
            stored = await store.GetKeyAsync(tenantId, (string)login["key_id"]!, CancellationToken.None);
        });

        Assert.Equal(1, stored!.RequestCount);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Revocation_RacedByFiftyConcurrentRequests_NothingStartedAfterItSucceeds()
    {
        await using var hub = await HubHost.StartAsync();
        var login = hub.Client(await hub.LoginKeyAsync());
        var created = await CreateKeyAsync(login, new { name = "raced", permissions = s_readMetrics });
        var client = hub.Client((string)created["key"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/auth/whoami")).StatusCode); // cached now
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var revokedAt = long.MaxValue;

        async Task<List<(long Start, HttpStatusCode Status)>> RequestsAsync()
        {
            await gate.Task;
            var results = new List<(long, HttpStatusCode)>();
            for (var i = 0; i < 6; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync("/v1/auth/whoami");
                results.Add((start, response.StatusCode));
            }

            return results;
        }

        var requests = Enumerable.Range(0, 50).Select(_ => Task.Run(RequestsAsync)).ToArray();
        var revocation = Task.Run(async () =>
        {
            await gate.Task;
            using var delete = await login.DeleteAsync($"/v1/keys/{(string)created["id"]!}");
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            Volatile.Write(ref revokedAt, Stopwatch.GetTimestamp());
        });
        gate.SetResult();
        await revocation;
        var results = (await Task.WhenAll(requests)).SelectMany(r => r).ToList();
        var start = Stopwatch.GetTimestamp();
        using var afterwards = await client.GetAsync("/v1/auth/whoami");
        results.Add((start, afterwards.StatusCode));

        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Unauthorized));
        var startedAfter = results.Where(r => r.Start > revokedAt).ToList();
        Assert.NotEmpty(startedAfter);
        Assert.All(startedAfter, r => Assert.Equal(HttpStatusCode.Unauthorized, r.Status));
    }

    [Fact]
    public async Task Cache_WarmThenRevokedRolledOutOrExpired_NeverServesTheStaleGrant()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var login = hub.Client(await hub.LoginKeyAsync());
        var revoked = await CreateKeyAsync(login, new { name = "revoked", permissions = s_readMetrics });
        var rolled = await CreateKeyAsync(login, new { name = "rolled", permissions = s_readMetrics });
        var expiring = await CreateKeyAsync(login,
            new { name = "expiring", permissions = s_readMetrics, expires_in_seconds = 20 });
        foreach (var key in new[] { revoked, rolled, expiring })
            Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(hub, (string)key["key"]!));

        using (await login.DeleteAsync($"/v1/keys/{(string)revoked["id"]!}")) { }
        await RollAsync(login, (string)rolled["id"]!, 10);
        var revokedAnswer = await StatusOfAsync(hub, (string)revoked["key"]!);
        var inGrace = await StatusOfAsync(hub, (string)rolled["key"]!);
        hub.Time!.Advance(TimeSpan.FromSeconds(10));
        var afterGrace = await StatusOfAsync(hub, (string)rolled["key"]!);
        var beforeExpiry = await StatusOfAsync(hub, (string)expiring["key"]!);
        hub.Time.Advance(TimeSpan.FromSeconds(10));
        var afterExpiry = await StatusOfAsync(hub, (string)expiring["key"]!);

        Assert.Equal(HttpStatusCode.Unauthorized, revokedAnswer);
        Assert.Equal(HttpStatusCode.OK, inGrace);
        Assert.Equal(HttpStatusCode.Unauthorized, afterGrace);
        Assert.Equal(HttpStatusCode.OK, beforeExpiry);
        Assert.Equal(HttpStatusCode.Unauthorized, afterExpiry);
    }

    [Fact]
    public async Task KeysEndpoints_CreateRollAndIntrospect_NeverLogAKey()
    {
        await using var hub = await HubHost.StartAsync();
        var loginKey = await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:metrics", "manage:keys" } });
        var login = hub.Client(loginKey);
        var created = await CreateKeyAsync(login, new { name = "secret", permissions = s_readMetrics });
        var rolledKey = await RollAsync(login, (string)created["id"]!, 60);
        using (await login.PostAsJsonAsync("/v1/auth/introspect", new { token = rolledKey })) { }
        await hub.Services.GetRequiredService<KeyUsageFlusher>().FlushAsync(CancellationToken.None);

        Assert.Contains(hub.Logs.Entries, e => e.EventId.Id == 2000);
        Assert.Contains(hub.Logs.Entries, e => e.EventId.Id == 2001);
        foreach (var secret in new[] { loginKey, (string)created["key"]!, rolledKey })
            Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(secret, StringComparison.Ordinal));
    }

    private static async Task<JsonObject> CreateKeyAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/keys", body);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json?.ToJsonString());
        return json!;
    }

    private static async Task<string> RollAsync(HttpClient client, string id, int graceSeconds)
    {
        using var response = await client.PostAsJsonAsync($"/v1/keys/{id}/roll", new { grace_seconds = graceSeconds });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json?.ToJsonString());
        return (string)json!["key"]!;
    }

    private static async Task<HttpStatusCode> StatusOfAsync(HubHost hub, string key)
    {
        using var response = await hub.Client(key).GetAsync("/v1/auth/whoami");
        return response.StatusCode;
    }
}
