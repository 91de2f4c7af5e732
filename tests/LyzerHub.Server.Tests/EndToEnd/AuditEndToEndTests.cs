using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// The audit trail through the hub over HTTPS: each action's entry, the aggregated kinds after a flush, the
/// HMAC chain against rows changed behind the hub's back, paging, export, retention and the key file.
/// </summary>
public sealed class AuditEndToEndTests
{
    private static readonly string[] s_readMetrics = ["read:metrics"];

    [Fact]
    public async Task Bootstrap_FreshHub_TenantCreatedInHubChainAndUserCreatedBySystem()
    {
        await using var hub = await HubHost.StartAsync();
        var tenantId = await hub.DefaultTenantIdAsync();
        var operatorKey = await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit", "admin:hub" } });
        var client = hub.Client(operatorKey);

        var hubChain = await EntriesAsync(client, path: "/v1/audit/hub");
        var tenantChain = await EntriesAsync(client);

        var tenantCreated = Assert.Single(hubChain);
        Assert.Equal("tenant.created", (string)tenantCreated!["action"]!);
        Assert.Equal("system", (string)tenantCreated["actor"]!);
        Assert.Equal(tenantId, (string)tenantCreated["target"]!);
        Assert.Null(tenantCreated["tenant_id"]);
        var userCreated = Assert.Single(OfAction(tenantChain, "user.created"));
        Assert.Equal("system", (string)userCreated["actor"]!);
        Assert.Equal(await UserIdAsync(client), (string)userCreated["target"]!);
        Assert.Equal(tenantId, (string)userCreated["tenant_id"]!);
    }

    [Fact]
    public async Task Login_Succeeded_AuthLoginWithActorTargetAndRequestDetails()
    {
        await using var hub = await HubHost.StartAsync();
        var anonymous = hub.Client();
        anonymous.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("audit-test", "1.0"));

        using var response = await anonymous.PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword, permissions = new[] { "read:audit" } });
        var login = await response.Content.ReadFromJsonAsync<JsonObject>();
        var client = hub.Client((string)login!["key"]!);
        var entries = await EntriesAsync(client);

        var entry = Assert.Single(OfAction(entries, "auth.login"));
        Assert.Equal(await UserIdAsync(client), (string)entry["actor"]!);
        Assert.Equal((string)login["key_id"]!, (string)entry["target"]!);
        Assert.Equal("127.0.0.1", (string)entry["client_address"]!);
        Assert.Equal("audit-test/1.0", (string)entry["user_agent"]!);
        Assert.False(string.IsNullOrEmpty((string?)entry["request_id"]));
        Assert.Equal("success", (string)entry["outcome"]!);
        Assert.Equal(1, (long)entry["count"]!);
        // A login key is recorded as the login alone, not also as key.created.
        Assert.Empty(OfAction(entries, "key.created"));
        Assert.DoesNotContain((string)login["key"]!, entries.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginFailures_ThreeWrongAndOneUnknown_AggregatedIntoCountedEntriesAtFlush()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var owner = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "read:audit", "admin:hub" } }));
        for (var i = 0; i < 3; i++) (await FailLoginAsync(hub, "admin")).Dispose();
        (await FailLoginAsync(hub, "nobody-at-all")).Dispose();

        var beforeFlush = await EntriesAsync(owner, "&action=auth.login_failed");
        await FlushAsync(hub);
        var tenantFailures = await EntriesAsync(owner, "&action=auth.login_failed");
        var hubFailures = await EntriesAsync(owner, "&action=auth.login_failed", "/v1/audit/hub");

        Assert.Empty(beforeFlush);
        var known = Assert.Single(tenantFailures);
        Assert.Equal(3, (long)known!["count"]!);
        Assert.Equal(await UserIdAsync(owner), (string)known["target"]!);
        Assert.Equal("anonymous", (string)known["actor"]!);
        Assert.Equal("failure", (string)known["outcome"]!);
        var unknown = Assert.Single(hubFailures);
        Assert.Equal(1, (long)unknown!["count"]!);
        Assert.Null(unknown["target"]);
        Assert.DoesNotContain("nobody-at-all", hubFailures.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginThrottled_SixthAttempt_OneThrottledEntryInHubChain()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var operatorClient = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "admin:hub" } }));
        for (var i = 0; i < 5; i++) (await FailLoginAsync(hub, "admin")).Dispose();

        using var throttled = await FailLoginAsync(hub, "admin");
        await FlushAsync(hub);
        var entries = await EntriesAsync(operatorClient, "&action=auth.login_throttled", "/v1/audit/hub");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        var entry = Assert.Single(entries);
        Assert.Equal(1, (long)entry!["count"]!);
        Assert.Equal("denied", (string)entry["outcome"]!);
    }

    [Fact]
    public async Task Keys_CreatedRolledRevokedTwice_OneEntryEachWithTheKeyAsTarget()
    {
        await using var hub = await HubHost.StartAsync();
        var login = await hub.LoginAsync(extra: new { permissions = new[] { "read:metrics", "read:audit" } });
        var client = hub.Client((string)login["key"]!);
        using var created = await client.PostAsJsonAsync("/v1/keys", new { name = "ci", permissions = s_readMetrics });
        var keyId = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        using var roll = await client.PostAsJsonAsync($"/v1/keys/{keyId}/roll", new { grace_seconds = 0 });
        using var firstRevoke = await client.DeleteAsync($"/v1/keys/{keyId}");
        using var secondRevoke = await client.DeleteAsync($"/v1/keys/{keyId}");
        var entries = await EntriesAsync(client, $"&target={keyId}");

        Assert.Equal(HttpStatusCode.NoContent, secondRevoke.StatusCode);
        Assert.Equal(["key.revoked", "key.rolled", "key.created"], entries.Select(e => (string)e!["action"]!));
        var userId = await UserIdAsync(client);
        Assert.All(entries, e =>
        {
            Assert.Equal(userId, (string)e!["actor"]!);
            Assert.Equal((string)login["key_id"]!, (string)e["actor_key_id"]!);
        });
    }

    [Fact]
    public async Task RevokeBySecret_KeyInBody_KeyRevokedOnceInItsTenantsChain()
    {
        await using var hub = await HubHost.StartAsync();
        var reader = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));
        var victim = await hub.LoginAsync();

        using var first = await hub.Client().PostAsJsonAsync("/v1/auth/revoke", new { key = (string)victim["key"]! });
        using var second = await hub.Client().PostAsJsonAsync("/v1/auth/revoke", new { key = (string)victim["key"]! });
        var entries = await EntriesAsync(reader, "&action=key.revoked");

        var entry = Assert.Single(entries);
        Assert.Equal((string)victim["key_id"]!, (string)entry!["target"]!);
        Assert.Equal("anonymous", (string)entry["actor"]!);
    }

    [Fact]
    public async Task Users_CreatedRoleChangedOffboarded_EntriesTargetTheUser()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = HubHost.OwnerPermissions }));
        var (userId, _) = await hub.AddUserAsync("carol", "member");

        using var demote = await owner.PatchAsJsonAsync($"/v1/users/{userId}", new { role = "viewer" });
        using var offboard = await owner.PostAsync($"/v1/users/{userId}/offboard", null);
        var entries = await EntriesAsync(owner, $"&target={userId}");

        Assert.Equal(HttpStatusCode.OK, offboard.StatusCode);
        Assert.Equal(["user.offboarded", "user.role_changed", "user.created"],
            entries.Select(e => (string)e!["action"]!));
        Assert.Equal("role: member -> viewer", (string)entries[1]!["detail"]!);
        Assert.Equal("role: member", (string)entries[2]!["detail"]!);
    }

    [Fact]
    public async Task PasswordAndPolicy_Changed_EntriesWrittenWithTheirTargets()
    {
        await using var hub = await HubHost.StartAsync();
        var (userId, password) = await hub.AddUserAsync("dave", "member");
        var dave = hub.Client(await hub.LoginKeyAsync("dave", password));
        using var change = await dave.PostAsJsonAsync("/v1/auth/password",
            new { current_password = password, new_password = "a-brand-new-password-2" });
        await hub.PatchPolicyAsync(new { login_key_lifetime_seconds = 1800 });
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = HubHost.OwnerPermissions }));
        var tenantId = await hub.DefaultTenantIdAsync();

        var passwordChanged = await EntriesAsync(owner, "&action=auth.password_changed");
        var policyChanged = await EntriesAsync(owner, "&action=tenant.policy_changed");

        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        var passwordEntry = Assert.Single(passwordChanged);
        Assert.Equal(userId, (string)passwordEntry!["target"]!);
        Assert.Equal(userId, (string)passwordEntry["actor"]!);
        Assert.Equal(tenantId, (string)Assert.Single(policyChanged)!["target"]!);
    }

    [Fact]
    public async Task TenantCreatedByOperator_HubChainEntryAndTheNewTenantSeesOnlyItsOwn()
    {
        await using var hub = await HubHost.StartAsync();
        var operatorClient = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "admin:hub", "read:audit" } }));
        using var created = await operatorClient.PostAsJsonAsync("/v1/tenants",
            new { slug = "acme", owner = new { username = "olivia", password = "olivias-password-1" } });
        var tenant = await created.Content.ReadFromJsonAsync<JsonObject>();
        var acme = hub.Client(await hub.LoginKeyAsync("olivia", "olivias-password-1",
            new { permissions = new[] { "read:audit" } }));

        var hubChain = await EntriesAsync(operatorClient, "&action=tenant.created", "/v1/audit/hub");
        var acmeChain = await EntriesAsync(acme);
        var defaultChain = await EntriesAsync(operatorClient);
        using var acmeReadsHub = await acme.GetAsync("/v1/audit/hub");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var entry = hubChain.Single(e => (string)e!["target"]! == (string)tenant!["id"]!);
        Assert.Equal(await UserIdAsync(operatorClient), (string)entry!["actor"]!);
        Assert.Equal(["auth.login", "user.created"], acmeChain.Select(e => (string)e!["action"]!));
        Assert.All(acmeChain, e => Assert.Equal((string)tenant!["id"]!, (string)e!["tenant_id"]!));
        Assert.DoesNotContain(defaultChain, e => (string?)e!["tenant_id"] == (string)tenant!["id"]!);
        Assert.Equal((string)tenant!["owner"]!["id"]!, (string)acmeChain[1]!["target"]!);
        await AssertMissingPermissionAsync(acmeReadsHub, "admin:hub");
    }

    [Fact]
    public async Task Audit_KeyWithoutReadAudit_403NamingItAndTheDenialRecordedOnce()
    {
        // Fake time: the flusher's timer must not split the two denials into two batches.
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var narrow = await hub.LoginAsync(extra: new { permissions = s_readMetrics });
        var client = hub.Client((string)narrow["key"]!);

        using var list = await client.GetAsync("/v1/audit");
        using var verify = await client.GetAsync("/v1/audit/verify");
        await FlushAsync(hub);
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));
        var denials = await EntriesAsync(owner, "&action=permission.denied");

        await AssertMissingPermissionAsync(list, "read:audit");
        await AssertMissingPermissionAsync(verify, "read:audit");
        var entry = Assert.Single(denials);
        Assert.Equal(2, (long)entry!["count"]!);
        Assert.Equal("read:audit", (string)entry["target"]!);
        Assert.Equal((string)narrow["key_id"]!, (string)entry["actor_key_id"]!);
    }

    [Fact]
    public async Task RateLimit_KeyOverItsLimitThreeTimes_OneExceededEntryCountingThree()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var owner = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "read:audit", "read:metrics" } }));
        using var created = await owner.PostAsJsonAsync("/v1/keys", new
        {
            name = "tight", permissions = s_readMetrics, rate_limit = new { requests = 1, window_seconds = 60 },
        });
        var key = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var limited = hub.Client((string)key["key"]!);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await limited.GetAsync("/v1/auth/whoami");
            statuses.Add(response.StatusCode);
        }

        await FlushAsync(hub);
        var exceeded = await EntriesAsync(owner, "&action=rate_limit.exceeded");

        Assert.Equal([HttpStatusCode.OK, .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)], statuses);
        var entry = Assert.Single(exceeded);
        Assert.Equal(3, (long)entry!["count"]!);
        Assert.Equal("key", (string)entry["target"]!);
        Assert.Equal((string)key["id"]!, (string)entry["actor_key_id"]!);
        Assert.Equal("denied", (string)entry["outcome"]!);
    }

    [Fact]
    public async Task Denials_OneMinuteOverSeveralFlushPeriods_OneEntryWrittenOnceTheMinuteEnds()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var flusher = hub.Services.GetRequiredService<AuditFlusher>();
        var owner = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));
        var narrow = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = s_readMetrics }));
        var now = hub.Time!.GetUtcNow();
        hub.Time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(now.UtcTicks % TimeSpan.TicksPerMinute)
            + TimeSpan.FromSeconds(1)); // one second into a fresh minute

        (await narrow.GetAsync("/v1/audit")).Dispose();
        await flusher.FlushAsync(endedMinutesOnly: true, CancellationToken.None);
        hub.Time.Advance(TimeSpan.FromSeconds(20));
        (await narrow.GetAsync("/v1/audit")).Dispose();
        await flusher.FlushAsync(endedMinutesOnly: true, CancellationToken.None);
        var whileTheMinuteRuns = await EntriesAsync(owner, "&action=permission.denied");
        hub.Time.Advance(TimeSpan.FromSeconds(45));
        await flusher.FlushAsync(endedMinutesOnly: true, CancellationToken.None);
        var afterIt = await EntriesAsync(owner, "&action=permission.denied");

        Assert.Empty(whileTheMinuteRuns);
        Assert.Equal(2, (long)Assert.Single(afterIt)!["count"]!);
    }

    [Fact]
    public async Task Verify_UntouchedChain_OkWithCountAndHeadOfTheNewestEntry()
    {
        await using var hub = await HubHost.StartAsync();
        var client = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));

        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");
        var entries = await EntriesAsync(client);

        Assert.True((bool)verify!["ok"]!);
        Assert.Equal(entries.Count, (long)verify["entries"]!);
        Assert.Null(verify["first_bad"]);
        Assert.Equal((string)entries[0]!["hash"]!, (string)verify["head"]!);
    }

    [Fact]
    public async Task Verify_StoredRowContentChanged_FirstBadIsThatEntry()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, entries) = await HubWithEntriesAsync(hub);
        var tampered = (string)entries[2]!["id"]!;

        await ExecuteSqlAsync(hub, "UPDATE audit_entries SET actor = 'someone-else' WHERE id = $id", tampered);
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        Assert.False((bool)verify!["ok"]!);
        Assert.Equal(tampered, (string)verify["first_bad"]!);
        Assert.Equal(entries.Count, (long)verify["entries"]!);
    }

    [Fact]
    public async Task Verify_RowRewrittenAndRehashedWithoutTheKey_StillDetectedAtThatEntry()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, entries) = await HubWithEntriesAsync(hub);
        var newest = (string)entries[0]!["id"]!;
        var rewritten = (await ReadRowAsync(hub, newest)) with { Actor = "someone-else" };
        // Plain SHA-256 over the content and the previous hash: all a chain without a secret would ask for.
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|',
            rewritten.Id, rewritten.Seq, rewritten.Actor, rewritten.Action, rewritten.Target,
            rewritten.PreviousHash))));
        // The exact encoding and algorithm, under a key the attacker made up.
        var guessedKey = new AuditChainKey(RandomNumberGenerator.GetBytes(32)).Seal(rewritten);
        // Control: with the hub's real key the same rewrite would pass, so only the key stops the forgeries.
        var realKey = AuditChainKey.LoadOrCreate(hub.DataDir).Seal(rewritten);

        var verdicts = new List<JsonObject>();
        foreach (var hash in new[] { sha256, guessedKey, realKey })
        {
            await ExecuteSqlAsync(hub, "UPDATE audit_entries SET actor = 'someone-else', hash = $hash WHERE id = $id",
                newest, hash);
            verdicts.Add((await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify"))!);
        }

        Assert.False((bool)verdicts[0]["ok"]!);
        Assert.Equal(newest, (string)verdicts[0]["first_bad"]!);
        Assert.False((bool)verdicts[1]["ok"]!);
        Assert.Equal(newest, (string)verdicts[1]["first_bad"]!);
        Assert.True((bool)verdicts[2]["ok"]!, verdicts[2].ToJsonString());
    }

    [Fact]
    public async Task Verify_TwoRowsSwapped_DetectedAtTheEarlierPosition()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, entries) = await HubWithEntriesAsync(hub);
        var ordered = entries.Reverse().ToArray();
        var (a, b) = ((string)ordered[1]!["id"]!, (string)ordered[2]!["id"]!);
        var (seqA, seqB) = ((long)ordered[1]!["seq"]!, (long)ordered[2]!["seq"]!);

        await ExecuteSqlAsync(hub, "UPDATE audit_entries SET seq = -1 WHERE id = $id", a);
        await ExecuteSqlAsync(hub, $"UPDATE audit_entries SET seq = {seqA} WHERE id = $id", b);
        await ExecuteSqlAsync(hub, $"UPDATE audit_entries SET seq = {seqB} WHERE id = $id", a);
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        Assert.False((bool)verify!["ok"]!);
        Assert.Equal(b, (string)verify["first_bad"]!); // b now sits at a's old position, the earlier one
    }

    [Fact]
    public async Task Verify_RowDeletedFromTheMiddle_DetectedAtTheEntryAfterTheGap()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, entries) = await HubWithEntriesAsync(hub);
        var ordered = entries.Reverse().ToArray();

        await ExecuteSqlAsync(hub, "DELETE FROM audit_entries WHERE id = $id", (string)ordered[1]!["id"]!);
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        Assert.False((bool)verify!["ok"]!);
        Assert.Equal((string)ordered[2]!["id"]!, (string)verify["first_bad"]!);
    }

    [Fact]
    public async Task List_PagedAndExported_NewestFirstWithoutGapsAndTheSameEntriesAsNdjson()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, all) = await HubWithEntriesAsync(hub);
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonObject>(
                "/v1/audit?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            var data = page!["data"]!.AsArray();
            Assert.InRange(data.Count, 1, 2);
            seen.AddRange(data.Select(e => (string)e!["id"]!));
            cursor = (string?)page["next_cursor"];
        }
        while (cursor is not null);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/audit");
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        using var export = await client.SendAsync(request);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var seqs = all.Select(e => (long)e!["seq"]!).ToArray();

        Assert.Equal(all.Select(e => (string)e!["id"]!), seen);
        Assert.Equal(seqs.OrderDescending(), seqs);
        Assert.Equal("application/x-ndjson", export.Content.Headers.ContentType!.MediaType);
        Assert.Equal(seen, lines.Select(l => (string)JsonNode.Parse(l)!["id"]!));
    }

    [Fact]
    public async Task List_Filters_ActionActorAndBadValues()
    {
        await using var hub = await HubHost.StartAsync();
        var (client, all) = await HubWithEntriesAsync(hub);
        var userId = await UserIdAsync(client);

        var created = await EntriesAsync(client, "&action=key.created");
        var byActor = await EntriesAsync(client, $"&actor={userId}");
        var future = await EntriesAsync(client, "&from=2999-01-01T00:00:00Z");
        using var badAction = await client.GetAsync("/v1/audit?action=key.exploded");
        using var badTime = await client.GetAsync("/v1/audit?from=yesterday");

        Assert.Equal(3, created.Count);
        Assert.All(created, e => Assert.Equal("key.created", (string)e!["action"]!));
        Assert.Equal(all.Count(e => (string)e!["actor"]! == userId), byActor.Count);
        Assert.Empty(future);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badTime.StatusCode);
    }

    [Fact]
    public async Task Retention_EntriesPastTheirDays_RemovedBehindACheckpointAndVerifyStillOk()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true, null, "--Hub:Audit:RetentionDays=30");
        var (login, _) = await HubWithEntriesAsync(hub);
        // A named key outlives the jump in time (a login key would not), so nothing new is recorded after it.
        using var created = await login.PostAsJsonAsync("/v1/keys",
            new { name = "auditor", permissions = new[] { "read:audit" }, expires_in_seconds = 60 * 24 * 3600 });
        var client = hub.Client((string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!);
        var before = await EntriesAsync(client);
        hub.Time!.Advance(TimeSpan.FromDays(31));

        // The flusher's own timer may run retention at this tick too; both are one transaction, so one wins.
        await hub.Services.GetRequiredService<AuditFlusher>().ApplyRetentionAsync(CancellationToken.None);
        var after = await EntriesAsync(client);
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        var checkpoint = Assert.Single(after);
        Assert.Equal("audit.checkpoint", (string)checkpoint!["action"]!);
        Assert.Equal("system", (string)checkpoint["actor"]!);
        Assert.Equal((string)before[0]!["hash"]!, (string)checkpoint["continues_from"]!);
        Assert.Equal((long)before[0]!["seq"]! + 1, (long)checkpoint["seq"]!);
        Assert.True((bool)verify!["ok"]!, verify.ToJsonString());
        Assert.Equal(1, (long)verify["entries"]!);
    }

    [Fact]
    public async Task AuditKey_FirstStart_File0600AndItsContentInNoLog()
    {
        await using var hub = await HubHost.StartAsync();
        await HubWithEntriesAsync(hub);
        var path = Path.Combine(hub.DataDir, AuditChainKey.FileName);

        var text = (await File.ReadAllTextAsync(path)).Trim();
        var hex = Convert.ToHexString(Convert.FromBase64String(text));

        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(32, Convert.FromBase64String(text).Length);
        Assert.NotEmpty(hub.Logs.Entries);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(text, StringComparison.Ordinal)
            || e.Text.Contains(hex, StringComparison.OrdinalIgnoreCase));
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(hub.DataDir, "control.db")}");
        await connection.OpenAsync();
        await using var dump = connection.CreateCommand();
        dump.CommandText = "SELECT group_concat(hash || previous_hash || COALESCE(detail, ''), '') FROM audit_entries";
        Assert.DoesNotContain(text, (string)(await dump.ExecuteScalarAsync())!, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task AuditKey_HubRestarted_SameKeySoTheChainStillVerifies()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-test-" + Guid.NewGuid().ToString("N"));
        var first = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        await HubWithEntriesAsync(first);
        await first.DisposeAsyncKeepingData(_ => Task.CompletedTask);

        await using var second = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var client = second.Client(await second.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        Assert.True((bool)verify!["ok"]!, verify.ToJsonString());
    }

    [Fact]
    public async Task Shutdown_DenialsNotYetFlushed_WrittenBeforeTheHubStops()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-test-" + Guid.NewGuid().ToString("N"));
        var hub = await HubHost.StartAsync(true, null, $"--Hub:DataDir={dataDir}", "--Hub:Audit:FlushSeconds=3600");
        var narrow = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = s_readMetrics }));
        using (await narrow.GetAsync("/v1/audit")) { }
        await hub.DisposeAsyncKeepingData(_ => Task.CompletedTask);

        await using var restarted = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var reader = restarted.Client(await restarted.LoginKeyAsync(
            extra: new { permissions = new[] { "read:audit" } }));
        var denials = await EntriesAsync(reader, "&action=permission.denied");

        Assert.Equal("read:audit", (string)Assert.Single(denials)!["target"]!);
    }

    [Fact]
    public async Task ResetAdminPassword_HubStopped_PasswordChangedBySystemAndTheChainStillVerifies()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-test-" + Guid.NewGuid().ToString("N"));
        var hub = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        await HubWithEntriesAsync(hub);
        await hub.DisposeAsyncKeepingData(_ => Task.CompletedTask);
        using var output = new StringWriter();

        Assert.Equal(0, await Server.Hosting.AdminPasswordReset.RunAsync([$"--Hub:DataDir={dataDir}"], output,
            TextWriter.Null));
        var password = output.ToString().Split(' ', '\n')[4].Trim();
        await using var restarted = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var client = restarted.Client(await restarted.LoginKeyAsync("admin", password,
            new { permissions = new[] { "read:audit" } }));
        var changes = await EntriesAsync(client, "&action=auth.password_changed");
        var verify = await client.GetFromJsonAsync<JsonObject>("/v1/audit/verify");

        var entry = Assert.Single(changes);
        Assert.Equal("system", (string)entry!["actor"]!);
        Assert.Equal(await UserIdAsync(client), (string)entry["target"]!);
        Assert.True((bool)verify!["ok"]!, verify.ToJsonString());
    }

    /// <summary>A hub whose tenant chain holds a login, three key creations and a revocation, newest first.</summary>
    private static async Task<(HttpClient Client, JsonArray Entries)> HubWithEntriesAsync(HubHost hub)
    {
        var client = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:metrics",
            "read:audit" } }));
        string? last = null;
        for (var i = 0; i < 3; i++)
        {
            using var created = await client.PostAsJsonAsync("/v1/keys",
                new { name = $"key {i}", permissions = s_readMetrics });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            last = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        }

        using var revoked = await client.DeleteAsync($"/v1/keys/{last}");
        return (client, await EntriesAsync(client));
    }

    private static async Task<JsonArray> EntriesAsync(HttpClient client, string query = "", string path = "/v1/audit")
    {
        using var response = await client.GetAsync($"{path}?limit=1000{query}");
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, json?.ToJsonString());
        return json!["data"]!.AsArray();
    }

    private static List<JsonNode> OfAction(JsonArray entries, string action) =>
        entries.Where(e => (string)e!["action"]! == action).Select(e => e!).ToList();

    private static async Task<string> UserIdAsync(HttpClient client) =>
        (string)(await client.GetFromJsonAsync<JsonObject>("/v1/auth/whoami"))!["user"]!["id"]!;

    private static Task<HttpResponseMessage> FailLoginAsync(HubHost hub, string username) =>
        hub.Client().PostAsJsonAsync("/v1/auth/key", new { username, password = "not-the-password-0" });

    private static Task FlushAsync(HubHost hub) =>
        hub.Services.GetRequiredService<AuditFlusher>().FlushAsync(CancellationToken.None);

    /// <summary>Changes the hub's database behind its back, as someone with access to the file could.</summary>
    private static async Task ExecuteSqlAsync(HubHost hub, string sql, string id, string? hash = null)
    {
        await using var connection = new SqliteConnection(
            $"Data Source={Path.Combine(hub.DataDir, "control.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$hash", (object?)hash ?? DBNull.Value);
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }

    private static async Task<AuditEntry> ReadRowAsync(HubHost hub, string id)
    {
        await using var connection = new SqliteConnection(
            $"Data Source={Path.Combine(hub.DataDir, "control.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, chain, seq, time, tenant_id, actor, actor_key_id, action, target, client_address, user_agent,
                   request_id, outcome, count, detail, continues_from, previous_hash, hash
            FROM audit_entries WHERE id = $id
            """;
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new AuditEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), Text(4), reader.GetString(5), Text(6),
            reader.GetString(7), Text(8), Text(9), Text(10), Text(11), reader.GetString(12), reader.GetInt64(13),
            Text(14), Text(15), reader.GetString(16), reader.GetString(17));
    }

    private static async Task AssertMissingPermissionAsync(HttpResponseMessage response, string permission)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("missing_permission", (string)problem!["code"]!);
        Assert.Equal(permission, (string)problem["permission"]!);
    }
}
