using System.Security.Cryptography.X509Certificates;
using LyzerHub.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LyzerHub.Client.Tests.TestSupport;

/// <summary>
/// A real hub for one test, started in-process through <see cref="HubApp.Build"/> like the server's own tests:
/// Kestrel on a free loopback port over HTTPS with its generated certificate, a fresh data directory. The SDK
/// under test trusts exactly that certificate through <see cref="LyzerHubClientOptions.CaCertificatePath"/>.
/// </summary>
public sealed class TestHub : IAsyncDisposable
{
    public const string AdminPassword = "test-operator-password-1";

    private readonly WebApplication _app;
    private readonly List<IDisposable> _owned = [];

    private TestHub(WebApplication app, string dataDir)
    {
        _app = app;
        DataDir = dataDir;
    }

    public string DataDir { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public string CertificatePath => Path.Combine(DataDir, "tls", "hub.crt");

    /// <summary>Starts a hub; with <paramref name="time"/> the hub's clock is that one (e.g. shared with the SDK).
    /// </summary>
    public static async Task<TestHub> StartAsync(TimeProvider? time = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "lyzer-sdk-test-" + Guid.NewGuid().ToString("N"));
        string[] args =
        [
            $"--Hub:DataDir={dataDir}",
            "--Hub:Urls=https://127.0.0.1:0",
            $"--Hub:Bootstrap:AdminPassword={AdminPassword}",
        ];
        var app = HubApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            if (time is not null) builder.Services.AddSingleton(time);
        });
        var hub = new TestHub(app, dataDir);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        hub.BaseAddress = new Uri(address);
        return hub;
    }

    /// <summary>Services holding an SDK client for this hub, configured as an application would.</summary>
    public ServiceProvider Services(
        Action<LyzerHubClientOptions>? configure = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        if (time is not null) services.AddSingleton(time);
        more?.Invoke(services);
        services.AddLyzerHubClient(options =>
        {
            options.HubUrl = BaseAddress;
            options.CaCertificatePath = CertificatePath;
            configure?.Invoke(options);
        });
        var provider = services.BuildServiceProvider();
        _owned.Add(provider);
        return provider;
    }

    /// <summary>An SDK client with a fixed key (or none, for logins).</summary>
    public LyzerHubClient Client(string? key = null) =>
        Services(options => options.Key = key ?? "").GetRequiredService<LyzerHubClient>();

    public async Task<LoginResult> LoginAsync(
        string username = "admin", string password = AdminPassword, IReadOnlyList<string>? permissions = null) =>
        await Client().LoginAsync(username, password, permissions);

    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadCertificateFromFile(CertificatePath);

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned) owned.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A store may hold a file for a moment on a slow machine; the temp folder is cleaned anyway.
        }
    }
}
