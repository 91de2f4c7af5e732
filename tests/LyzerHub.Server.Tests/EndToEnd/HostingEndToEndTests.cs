using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.EndToEnd;

public sealed partial class HostingEndToEndTests
{
    [Fact]
    public async Task OpenApi_Document_DescribesEveryApiEndpoint()
    {
        await using var hub = await HubHost.StartAsync();

        var document = await hub.Client().GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        var paths = document!["paths"]!.AsObject();
        (string Path, string Method)[] expected =
        [
            ("/v1/auth/key", "post"), ("/v1/auth/whoami", "get"), ("/v1/auth/revoke", "post"),
            ("/v1/keys", "get"), ("/v1/keys/{id}", "get"), ("/v1/keys/{id}", "delete"),
            ("/v1/tenants", "post"), ("/v1/tenants", "get"), ("/v1/tenant", "get"),
            ("/v1/events", "post"), ("/v1/metrics/query", "post"), ("/v1/metrics/events", "get"),
            ("/healthz", "get"), ("/readyz", "get"),
            ("/v1/audit", "get"), ("/v1/audit/verify", "get"), ("/v1/audit/hub", "get"),
            ("/v1/audit/hub/verify", "get"),
        ];
        foreach (var (path, method) in expected)
        {
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
            Assert.True(paths[path]!.AsObject().ContainsKey(method), $"{method} {path} is missing");
        }
    }

    [Fact]
    public async Task Health_NoKey_LiveAndReady()
    {
        await using var hub = await HubHost.StartAsync();

        using var live = await hub.Client().GetAsync("/healthz");
        using var ready = await hub.Client().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Start_Restart_ReusesCertificateAndKeepsData()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-restart-" + Guid.NewGuid().ToString("N"));
        var first = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var fingerprint = first.Certificate.Thumbprint;
        var writer = first.Client(await first.LoginKeyAsync());
        using (var sent = await writer.PostAsJsonAsync("/v1/events", new { id = "kept", name = "restart" }))
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        await first.DisposeAsyncKeepingData(_ => Task.CompletedTask);

        await using var second = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var again = second.Client(await second.LoginKeyAsync());
        using var resent = await again.PostAsJsonAsync("/v1/events", new { id = "kept", name = "restart" });

        Assert.Equal(fingerprint, second.Certificate.Thumbprint);
        Assert.Equal(1, (int)(await resent.Content.ReadFromJsonAsync<JsonObject>())!["duplicates"]!);
    }

    [Fact]
    public async Task ResetAdminPassword_WhileHubRunsThenStopped_RefusedThenNewPasswordAndKeysRevoked()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-reset-" + Guid.NewGuid().ToString("N"));
        var hub = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        var oldKey = await hub.LoginKeyAsync();
        using var refusedOut = new StringWriter();
        using var refusedErr = new StringWriter();

        var refused = await AdminPasswordReset.RunAsync([$"--Hub:DataDir={dataDir}"], refusedOut, refusedErr);
        await hub.DisposeAsyncKeepingData(_ => Task.CompletedTask);
        using var output = new StringWriter();
        var done = await AdminPasswordReset.RunAsync([$"--Hub:DataDir={dataDir}"], output, TextWriter.Null);

        Assert.Equal(1, refused);
        Assert.Contains("running", refusedErr.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, done);
        var password = NewPassword().Match(output.ToString()).Groups[1].Value;
        Assert.NotEmpty(password);

        await using var restarted = await HubHost.StartAsync(false, null, $"--Hub:DataDir={dataDir}");
        using var oldPassword = await restarted.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword });
        using var oldKeyCall = await restarted.Client(oldKey).GetAsync("/v1/auth/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldKeyCall.StatusCode);
        Assert.NotEmpty(await restarted.LoginKeyAsync("admin", password));
    }

    [Fact]
    public async Task InsecureHttp_WithOptIn_Serves()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-http-" + Guid.NewGuid().ToString("N"));
        await using var app = HubApp.Build([$"--Hub:DataDir={dataDir}", "--Hub:Urls=http://127.0.0.1:0",
            "--Hub:AllowInsecureHttp=true", $"--Hub:Bootstrap:AdminPassword={HubHost.AdminPassword}"]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await app.StopAsync();
    }

    [GeneratedRegex("New password for 'admin': (\\S+)")]
    private static partial Regex NewPassword();
}
