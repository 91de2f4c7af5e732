using System.Net;
using System.Text.Json.Nodes;
using LyzerHub.Client.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Client.Tests;

/// <summary>The SDK's audit calls and <c>lyzer audit list|verify</c>, against a real hub over HTTPS.</summary>
public sealed class AuditTests
{
    private static readonly string[] s_auditor = ["read:audit", "read:metrics"];

    [Fact]
    public async Task ListAudit_AfterAKeyIsRevoked_TypedEntryFiltersAndPaging()
    {
        await using var hub = await TestHub.StartAsync();
        var login = await hub.LoginAsync(permissions: s_auditor);
        var client = hub.Client(login.Key);
        var key = await client.CreateKeyAsync("ci", ["read:metrics"]);
        await client.RevokeKeyAsync(key.Id);
        var me = await client.WhoamiAsync();

        var revoked = await client.ListAuditAsync(new AuditFilter(Action: "key.revoked"));
        var first = await client.ListAuditAsync(limit: 1);
        var second = await client.ListAuditAsync(limit: 1, cursor: first.NextCursor);
        var byTarget = await client.ListAuditAsync(new AuditFilter(Target: key.Id));
        var future = await client.ListAuditAsync(new AuditFilter(From: DateTimeOffset.UtcNow.AddDays(1)));
        var past = await client.ListAuditAsync(new AuditFilter(To: DateTimeOffset.UtcNow.AddDays(1)));

        var entry = Assert.Single(revoked.Data);
        Assert.Equal(key.Id, entry.Target);
        Assert.Equal(me.User.Id, entry.Actor);
        Assert.Equal(login.KeyId, entry.ActorKeyId);
        Assert.Equal("success", entry.Outcome);
        Assert.Equal(1, entry.Count);
        Assert.Equal(entry.Id, Assert.Single(first.Data).Id);
        Assert.NotNull(first.NextCursor);
        Assert.Equal(entry.Seq - 1, Assert.Single(second.Data).Seq);
        Assert.Equal(["key.revoked", "key.created"], byTarget.Data.Select(e => e.Action));
        Assert.Empty(future.Data);
        Assert.Equal(4, past.Data.Count); // user.created at bootstrap, auth.login, key.created, key.revoked
    }

    [Fact]
    public async Task VerifyAudit_IntactChain_OkWithTheNewestEntrysHash()
    {
        await using var hub = await TestHub.StartAsync();
        var client = hub.Client((await hub.LoginAsync(permissions: s_auditor)).Key);

        var verification = await client.VerifyAuditAsync();
        var newest = (await client.ListAuditAsync(limit: 1)).Data[0];

        Assert.Equal(new AuditVerification(true, 2, null, newest.Hash), verification);
    }

    [Fact]
    public async Task Audit_HubChainAndMissingPermission_OperatorReadsItOthersGetTheProblem()
    {
        await using var hub = await TestHub.StartAsync();
        var operatorClient = hub.Client((await hub.LoginAsync(permissions: ["admin:hub"])).Key);
        var plain = hub.Client((await hub.LoginAsync(permissions: ["read:metrics"])).Key);

        var hubChain = await operatorClient.ListAuditAsync(hubChain: true);
        var hubVerification = await operatorClient.VerifyAuditAsync(hubChain: true);
        var refused = await Assert.ThrowsAsync<LyzerHubException>(() => plain.VerifyAuditAsync());

        Assert.Equal("tenant.created", Assert.Single(hubChain.Data).Action);
        Assert.True(hubVerification.Ok);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("missing_permission", refused.Code);
        Assert.Contains("read:audit", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliAuditList_TableJsonAndFilters_ShowTheLogin()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --permission read:audit --password-stdin", TestHub.AdminPassword);

        var json = await cli.RunAsync("audit list --json");
        var table = await cli.RunAsync("audit list --action auth.login");
        var all = await cli.RunAsync("audit list --all --json --to 2999-01-01T00:00:00Z");
        var badTime = await cli.RunAsync("audit list --from yesterday");
        var badAction = await cli.RunAsync("audit list --action key.exploded");

        Assert.True(json.ExitCode == 0, json.ToString());
        var actions = JsonNode.Parse(json.Out)!["data"]!.AsArray().Select(e => (string)e!["action"]!).ToArray();
        Assert.Equal(["auth.login", "user.created"], actions);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("auth.login", table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("user.created", table.Out, StringComparison.Ordinal);
        Assert.Equal(2, JsonNode.Parse(all.Out)!["data"]!.AsArray().Count);
        Assert.Equal(2, badTime.ExitCode);
        Assert.Equal(1, badAction.ExitCode);
        Assert.Contains("action", badAction.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliAuditVerify_IntactThenARowChanged_Exit0ThenExit4NamingTheEntry()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --permission read:audit --password-stdin", TestHub.AdminPassword);
        var entries = JsonNode.Parse((await cli.RunAsync("audit list --json")).Out)!["data"]!.AsArray();
        var tampered = (string)entries[^1]!["id"]!;

        var intact = await cli.RunAsync("audit verify");
        await using (var connection = new SqliteConnection(
            $"Data Source={Path.Combine(hub.DataDir, "control.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_entries SET detail = 'role: viewer' WHERE id = $id";
            command.Parameters.AddWithValue("$id", tampered);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var broken = await cli.RunAsync("audit verify");
        var brokenJson = await cli.RunAsync("audit verify --json");

        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Contains("intact: 2 entries", intact.Out, StringComparison.Ordinal);
        Assert.Equal(4, broken.ExitCode);
        Assert.Contains(tampered, broken.Out, StringComparison.Ordinal);
        Assert.Equal(4, brokenJson.ExitCode);
        Assert.Equal(tampered, (string?)JsonNode.Parse(brokenJson.Out)!["first_bad"]);
        Assert.False((bool)JsonNode.Parse(brokenJson.Out)!["ok"]!);
    }

    [Fact]
    public async Task CliAudit_KeyWithoutReadAudit_Exit1WithTheProblemsDetail()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword);

        var list = await cli.RunAsync("audit list");
        var verify = await cli.RunAsync("audit verify --json");

        Assert.Equal(1, list.ExitCode);
        Assert.Contains("read:audit", list.Error, StringComparison.Ordinal);
        Assert.Equal(1, verify.ExitCode);
        Assert.Equal("missing_permission", (string?)JsonNode.Parse(verify.Out)!["error"]!["code"]);
    }
}
