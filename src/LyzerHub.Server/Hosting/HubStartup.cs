using LyzerHub.Server.Storage;
using LyzerHub.Server.Tenants;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Runs before Kestrel accepts a connection (hosted services start before the server): creates the stores'
/// schemas and the first tenant, so the very first request finds a ready hub.
/// </summary>
public sealed partial class HubStartup(
    IControlStore controlStore,
    IEventStore eventStore,
    HubBootstrapper bootstrapper,
    HubCertificate certificate,
    Auth.PasswordHasher hasher,
    ILogger<HubStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await controlStore.InitializeAsync(cancellationToken);
        await eventStore.InitializeAsync(cancellationToken);
        await bootstrapper.RunAsync(cancellationToken);

        // The decoy hash for unknown usernames is made now, so the first such login costs what any other does.
        _ = hasher.DecoyHash;
        Log.Certificate(logger, certificate.CertificatePath, certificate.Sha256Fingerprint,
            certificate.Generated ? "generated now" : "reused");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Certificate", Level = LogLevel.Information,
            Message = "TLS certificate {Path} ({Origin}), SHA-256 fingerprint {Fingerprint}; " +
                "clients trust it with e.g. curl --cacert")]
        public static partial void Certificate(ILogger logger, string path, string fingerprint, string origin);
    }
}
