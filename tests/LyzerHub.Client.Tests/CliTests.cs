using System.Text.Json.Nodes;
using LyzerHub.Client.Tests.TestSupport;

namespace LyzerHub.Client.Tests;

/// <summary><c>lyzer</c> commands run as a user would run them, against a real hub over HTTPS.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Login_PasswordOnStdin_StoresKeyPrivatelyAndWhoamiUsesIt()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);

        var login = await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword + "\n");
        var whoami = await cli.RunAsync("whoami --json");

        Assert.True(login.ExitCode == 0, login.ToString());
        var keyFile = Path.Combine(cli.ConfigHome, "lyzer", "key");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), login.Out, StringComparison.Ordinal);
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Equal("admin", (string?)JsonNode.Parse(whoami.Out)!["user"]!["username"]);
    }

    [Fact]
    public async Task Login_WrongPassword_Exit1WithTheProblemsDetailAndNoStackTrace()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);

        var result = await cli.RunAsync("login --username admin --password-stdin", "wrong-password-entirely\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The username or the password is wrong.", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_BadUsageOrUnreachableHub_ExitCodes2And3()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);

        var noUsername = await cli.RunAsync("login --password-stdin", "x\n");
        var unknown = await cli.RunAsync("frobnicate");
        var notLoggedIn = await cli.RunAsync("whoami");
        var unreachable = await cli.RunAsync("whoami --json", env: new()
        {
            ["LYZER_HUB_URL"] = "https://127.0.0.1:1",
            ["LYZER_KEY"] = "lyz_anything",
        });
        var insecure = await cli.RunAsync("whoami", env: new()
        {
            ["LYZER_HUB_URL"] = "http://hub.example.com",
            ["LYZER_KEY"] = "lyz_anything",
        });

        Assert.Equal(2, noUsername.ExitCode);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal(2, notLoggedIn.ExitCode);
        Assert.Contains("lyzer login", notLoggedIn.Error, StringComparison.Ordinal);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Equal("unreachable", (string?)JsonNode.Parse(unreachable.Out)!["error"]!["code"]);
        Assert.Equal(2, insecure.ExitCode);
    }

    [Fact]
    public async Task KeyRevoke_OwnKey_NextCommandIsRefused()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword);

        var list = await cli.RunAsync("key list --json");
        var keyId = (string)JsonNode.Parse(list.Out)!["data"]![0]!["id"]!;
        var table = await cli.RunAsync("key list");
        var revoke = await cli.RunAsync($"key revoke {keyId}");
        var after = await cli.RunAsync("whoami");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(keyId, table.Out, StringComparison.Ordinal);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(1, after.ExitCode);
        Assert.NotEmpty(after.Error);
    }

    [Fact]
    public async Task KeyCreateAndRoll_NamedKey_WorksAndTheOldSecretStops()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword);

        var created = await cli.RunAsync(
            "key create dashboard --permission read:metrics --expires-in 86400 --rate-limit 600/60 --json");
        var first = JsonNode.Parse(created.Out)!;
        var asDashboard = await cli.RunAsync("whoami --json", env: new() { ["LYZER_KEY"] = (string)first["key"]! });
        var rolled = await cli.RunAsync($"key roll {(string)first["id"]!}",
            env: new() { ["LYZER_KEY"] = (string)first["key"]! });
        var newKey = rolled.Out.Trim().Split('\n')[^1];
        var withOld = await cli.RunAsync("whoami", env: new() { ["LYZER_KEY"] = (string)first["key"]! });
        var withNew = await cli.RunAsync("whoami", env: new() { ["LYZER_KEY"] = newKey });
        var badUsage = await cli.RunAsync("key create x --permission read:metrics --expires-in 5 --never-expires");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal(600, (int)first["rate_limit"]!["requests"]!);
        Assert.Equal("dashboard", (string?)JsonNode.Parse(asDashboard.Out)!["key"]!["name"]);
        Assert.True(rolled.ExitCode == 0, rolled.ToString());
        Assert.NotEqual((string)first["key"]!, newKey);
        Assert.Equal(1, withOld.ExitCode);
        Assert.True(withNew.ExitCode == 0, withNew.ToString());
        Assert.Equal(2, badUsage.ExitCode);
    }

    [Fact]
    public async Task TenantCreate_AsOperator_OwnerCanLogInToTheNewTenant()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --permission admin:hub --password-stdin", TestHub.AdminPassword);

        var created = await cli.RunAsync("tenant create acme --name Acme --owner alice@acme.test --json");
        var password = (string?)JsonNode.Parse(created.Out)?["owner"]?["password"];
        var login = await cli.RunAsync("login --username alice@acme.test --password-stdin", password + "\n");
        var whoami = await cli.RunAsync("whoami --json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.False(string.IsNullOrEmpty(password));
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Equal("acme", (string?)JsonNode.Parse(whoami.Out)!["tenant"]!["slug"]);
    }

    [Fact]
    public async Task UserCreateAndOffboard_AsOwner_Work()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --permission manage:users --permission read:metrics "
            + "--permission write:events --permission read:events --password-stdin", TestHub.AdminPassword);

        var created = await cli.RunAsync("user create bob@example.test --role member --json");
        var id = (string)JsonNode.Parse(created.Out)!["id"]!;
        var role = await cli.RunAsync($"user role {id} viewer");
        var list = await cli.RunAsync("user list");
        var offboard = await cli.RunAsync($"user offboard {id} --json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(role.ExitCode == 0, role.ToString());
        Assert.Contains("bob@example.test", list.Out, StringComparison.Ordinal);
        Assert.True(offboard.ExitCode == 0, offboard.ToString());
        Assert.Equal(0, (int)JsonNode.Parse(offboard.Out)!["keys_revoked"]!);
    }

    [Fact]
    public async Task EventsSend_NdjsonOnStdin_SentOnceThenDuplicates()
    {
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword);
        const string ndjson = """
            {"id":"o-1","name":"purchase","distinct_id":"u1","properties":{"amount":49.5}}

            {"id":"o-2","name":"purchase","distinct_id":"u2","properties":{"amount":10}}
            """;

        var first = await cli.RunAsync("events send --json", ndjson);
        var second = await cli.RunAsync("events send -", ndjson);
        var broken = await cli.RunAsync("events send", "{\"name\":\"x\"}\nnot json\n");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(2, (int)JsonNode.Parse(first.Out)!["accepted"]!);
        Assert.True(second.Out.Contains("0 accepted, 2 duplicates", StringComparison.Ordinal), second.ToString());
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("Line 2", broken.Error, StringComparison.Ordinal);
    }
}
