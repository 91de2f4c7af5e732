using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>The console's sessions over plain HTTPS, for what needs no browser: where sessions end.</summary>
public sealed class ConsoleSessionEndToEndTests
{
    private const string SessionCookie = "__Host-lyzer-console";

    [Fact]
    public async Task SignIn_RightPassword_SessionCookieOpensConsoleButNotTheApi()
    {
        await using var hub = await HubHost.StartAsync();
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);

        using var before = await console.GetAsync("/keys");
        using var signIn = await console.SignInAsync("admin", HubHost.AdminPassword);
        using var keys = await console.GetAsync("/keys");
        using var api = await console.GetAsync("/v1/auth/whoami");

        Assert.Equal(HttpStatusCode.Redirect, before.StatusCode);
        Assert.Equal("/signin?returnUrl=%2Fkeys", before.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.True(console.Cookies.ContainsKey(SessionCookie));
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("missing_key", (string)(await api.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
    }

    [Fact]
    public async Task Forms_PostWithoutAntiforgeryToken_400AndNoSessionStarted()
    {
        await using var hub = await HubHost.StartAsync();
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);
        using (await console.GetAsync("/signin")) { }

        using var signIn = await console.PostFormAsync("/signin",
            new Dictionary<string, string> { ["username"] = "admin", ["password"] = HubHost.AdminPassword },
            withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.False(console.Cookies.ContainsKey(SessionCookie));
    }

    [Fact]
    public async Task SignIn_PastTheAddressLimit_429LikeTheApiLogin()
    {
        await using var hub = await HubHost.StartAsync(false, null,
            "--Hub:RateLimits:Address:Requests=3", "--Hub:RateLimits:Address:WindowSeconds=60");
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 4; i++)
        {
            using var page = await console.GetAsync("/signin");
            statuses.Add(page.StatusCode);
        }

        using var apiLogin = await hub.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, apiLogin.StatusCode);
    }

    [Fact]
    public async Task PasswordChange_ThroughApi_EndsConsoleSessions()
    {
        await using var hub = await HubHost.StartAsync();
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);
        using (await console.SignInAsync("admin", HubHost.AdminPassword)) { }
        var key = hub.Client(await hub.LoginKeyAsync());

        using var change = await key.PostAsJsonAsync("/v1/auth/password",
            new { current_password = HubHost.AdminPassword, new_password = "a-brand-new-password-2" });
        using var after = await console.GetAsync("/keys");

        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetAdminPassword_HubStopped_OperatorsConsoleSessionEnded()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-console-reset-" + Guid.NewGuid().ToString("N"));
        var hub = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);
        using (await console.SignInAsync("admin", HubHost.AdminPassword)) { }
        var cookies = new Dictionary<string, string>(console.Cookies);
        await hub.DisposeAsyncKeepingData(_ => Task.CompletedTask);

        await using (var untouched = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}"))
        {
            using var carried = new ConsoleHttp(untouched.BaseAddress, untouched.Certificate);
            carried.SetCookies(cookies);
            using var stillOpen = await carried.GetAsync("/keys");
            Assert.Equal(HttpStatusCode.OK, stillOpen.StatusCode);
            await untouched.DisposeAsyncKeepingData(_ => Task.CompletedTask);
        }

        using var output = new StringWriter();
        var done = await AdminPasswordReset.RunAsync([$"--Hub:DataDir={dataDir}"], output, TextWriter.Null);
        await using var restarted = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        using var again = new ConsoleHttp(restarted.BaseAddress, restarted.Certificate);
        again.SetCookies(cookies);
        using var after = await again.GetAsync("/keys");

        Assert.Equal(0, done);
        Assert.Contains("console sessions ended", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task DataProtectionKeys_UnderDataDir_OwnerOnly()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        if (OperatingSystem.IsWindows()) return; // for the platform analyzer, which cannot see through Skip.If
        await using var hub = await HubHost.StartAsync();
        using var console = new ConsoleHttp(hub.BaseAddress, hub.Certificate);

        using (await console.SignInAsync("admin", HubHost.AdminPassword)) { }
        var directory = Path.Combine(hub.DataDir, "keys");
        var files = Directory.GetFiles(directory, "*.xml");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(directory));
        Assert.NotEmpty(files);
        foreach (var file in files)
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }
}
