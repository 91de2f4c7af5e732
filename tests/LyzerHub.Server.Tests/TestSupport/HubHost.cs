using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.TestSupport;

/// <summary>
/// A real hub for one test: Kestrel on a free loopback port over HTTPS, a fresh data directory, and clients
/// that trust exactly the certificate this hub generated, never with verification switched off.
/// </summary>
public sealed class HubHost : IAsyncDisposable
{
    public const string AdminPassword = "test-operator-password-1";

    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private HubHost(WebApplication app, string dataDir, FakeTimeProvider? time, CapturingLoggerProvider logs)
    {
        _app = app;
        DataDir = dataDir;
        Time = time;
        Logs = logs;
    }

    public string DataDir { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>The hub's clock when the test asked for a fake one; null when the hub runs on system time.</summary>
    public FakeTimeProvider? Time { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a hub; <paramref name="services"/> may replace a dependency (e.g. a store that hangs).</summary>
    public static async Task<HubHost> StartAsync(
        bool fakeTime = false, Action<IServiceCollection>? services = null, params string[] extraArgs)
    {
        // A test that restarts a hub on the same data passes its own --Hub:DataDir; the last one given wins.
        var dataDir = extraArgs.LastOrDefault(a => a.StartsWith("--Hub:DataDir=", StringComparison.Ordinal))
                ?["--Hub:DataDir=".Length..]
            ?? Path.Combine(Path.GetTempPath(), "lyzer-test-" + Guid.NewGuid().ToString("N"));
        var time = fakeTime ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
        var logs = new CapturingLoggerProvider();
        string[] args =
        [
            $"--Hub:DataDir={dataDir}",
            "--Hub:Urls=https://127.0.0.1:0",
            $"--Hub:Bootstrap:AdminPassword={AdminPassword}",
            .. extraArgs,
        ];
        var app = HubApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
            if (time is not null) builder.Services.AddSingleton<TimeProvider>(time);
            services?.Invoke(builder.Services);
        });
        var host = new HubHost(app, dataDir, time, logs);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single();
        host.BaseAddress = new Uri(address);
        host.Certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDir, "tls", "hub.crt"));
        return host;
    }

    /// <summary>An HTTP client trusting only this hub's certificate, optionally sending a key.</summary>
    public HttpClient Client(string? key = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { Certificate },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    /// <summary>Logs in and returns the login answer (key, key_id, ...).</summary>
    public async Task<JsonObject> LoginAsync(
        string username = "admin", string password = AdminPassword, object? extra = null)
    {
        var body = new JsonObject { ["username"] = username, ["password"] = password };
        if (extra is not null)
        {
            foreach (var (name, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
                body[name] = value?.DeepClone();
        }

        using var response = await Client().PostAsJsonAsync("/v1/auth/key", body);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, $"login failed: {(int)response.StatusCode} {json}");
        return json!;
    }

    /// <summary>The tenant id of the operator's tenant <c>default</c>, read through the API.</summary>
    public async Task<string> DefaultTenantIdAsync()
    {
        var whoami = await Client(await LoginKeyAsync()).GetFromJsonAsync<JsonObject>("/v1/auth/whoami");
        return (string)whoami!["tenant"]!["id"]!;
    }

    /// <summary>Every permission an owner may hold: what a test needs to arrange users and policy.</summary>
    public static readonly string[] OwnerPermissions =
    [
        "read:metrics", "write:events", "read:events", "manage:keys", "manage:users", "read:audit", "manage:tenant",
    ];

    /// <summary>Adds a user to the operator's tenant through POST /v1/users; returns its id and generated password.</summary>
    public async Task<(string UserId, string Password)> AddUserAsync(string username, string role)
    {
        var owner = Client(await LoginKeyAsync(extra: new { permissions = OwnerPermissions }));
        using var response = await owner.PostAsJsonAsync("/v1/users", new { username, role });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, json?.ToJsonString());
        return ((string)json!["id"]!, (string)json["password"]!);
    }

    /// <summary>Changes the operator's tenant's policy through PATCH /v1/tenant.</summary>
    public async Task PatchPolicyAsync(object patch)
    {
        var owner = Client(await LoginKeyAsync(extra: new { permissions = OwnerPermissions }));
        using var response = await owner.PatchAsJsonAsync("/v1/tenant", patch);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> LoginKeyAsync(
        string username = "admin", string password = AdminPassword, object? extra = null) =>
        (string)(await LoginAsync(username, password, extra))["key"]!;

    /// <summary>Stops the hub so its files are complete and unlocked, then lets the test read them.</summary>
    public async Task DisposeAsyncKeepingData(Func<string, Task> inspect)
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopped = true;
        await inspect(DataDir);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        if (!_stopped)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Certificate?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A store may still hold a file for a moment on a slow machine; the temp folder is cleaned anyway.
        }
    }
}
