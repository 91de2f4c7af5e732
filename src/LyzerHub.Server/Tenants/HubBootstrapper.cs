using LyzerHub.Server.Hosting;
using LyzerHub.Server.Storage;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Tenants;

/// <summary>
/// First start on an empty data directory (PRODUCT.md §2): the tenant <c>default</c> and its operator <c>admin</c>.
/// A generated password goes straight to standard output, once, never through logging.
/// </summary>
public sealed partial class HubBootstrapper(
    IControlStore store,
    TenantService tenants,
    IOptions<HubOptions> options,
    ILogger<HubBootstrapper> logger)
{
    public const string DefaultTenantSlug = "default";
    public const string OperatorUsername = "admin";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (await store.HasAnyTenantAsync(cancellationToken)) return;

        var configured = options.Value.Bootstrap.AdminPassword;
        var result = await tenants.CreateAsync(DefaultTenantSlug, "Default", OperatorUsername,
            configured, ownerIsOperator: true, Audit.AuditActor.System, cancellationToken);
        if (result?.Created is not { } created)
            throw new InvalidOperationException($"Bootstrap could not create the tenant: {result?.Outcome}.");

        Log.Bootstrapped(logger, created.Tenant.Id, created.Owner.Id);
        if (created.GeneratedPassword is { } password)
        {
            await Console.Out.WriteLineAsync(
                $"Lyzer Hub first start: log in as '{OperatorUsername}' with the password {password}" +
                Environment.NewLine + "It is shown only this once and stored only as a hash; keep it somewhere safe.");
            await Console.Out.FlushAsync(cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, EventName = "Bootstrapped", Level = LogLevel.Information,
            Message = "First start: created tenant {TenantId} and its operator {UserId}")]
        public static partial void Bootstrapped(ILogger logger, string tenantId, string userId);
    }
}
