using LyzerHub.Server.Hosting;
using LyzerHub.Server.RateLimits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// The audit chain key (read or made under DataDir), the aggregated recorder and its writer, and verification.
    /// The control store depends on the key: it seals every entry it appends.
    /// </summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AuditOptions.SectionName);
        var options = section.Get<AuditOptions>() ?? new AuditOptions();
        if (options.RetentionDays is < 1 or > 36_500)
            throw new HubConfigurationException($"{AuditOptions.SectionName}:RetentionDays must be from 1 to 36500.");
        if (options.FlushSeconds is < 1 or > 3600)
            throw new HubConfigurationException($"{AuditOptions.SectionName}:FlushSeconds must be from 1 to 3600.");
        if (options.MaxPendingGroups < 1)
            throw new HubConfigurationException($"{AuditOptions.SectionName}:MaxPendingGroups must be positive.");

        services.Configure<AuditOptions>(section);
        services.AddSingleton(sp =>
            AuditChainKey.LoadOrCreate(sp.GetRequiredService<IOptions<HubOptions>>().Value.DataDirFullPath));
        services.AddSingleton<AuditRecorder>();
        // A TryAdd like the limiter's no-op default, which this precedes; a sink registered earlier (a test's) wins.
        services.TryAddSingleton<IRateLimitRejectionSink, AuditRateLimitSink>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<AuditFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditFlusher>());
        return services;
    }
}
