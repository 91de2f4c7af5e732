using LyzerHub.Server.Hosting;

namespace LyzerHub.Server.Keys;

public static class KeysServiceCollectionExtensions
{
    /// <summary>Key usage counting and its batched writer; key checks themselves come with AddHubAuth.</summary>
    public static IServiceCollection AddKeys(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(KeysOptions.SectionName);
        var options = section.Get<KeysOptions>() ?? new KeysOptions();
        // At most an hour: usage shown by the API should not lag longer than that, and a crash loses one period.
        if (options.UsageFlushSeconds is < 1 or > 3600)
        {
            throw new HubConfigurationException(
                $"{KeysOptions.SectionName}:UsageFlushSeconds must be from 1 to 3600 seconds.");
        }

        services.Configure<KeysOptions>(section);
        services.AddSingleton<KeyUsageRecorder>();
        services.AddSingleton<KeyUsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageFlusher>());
        return services;
    }
}
