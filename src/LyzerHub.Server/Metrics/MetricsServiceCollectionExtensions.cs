using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LyzerHub.Server.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <see cref="MetricsEndpoints.MapMetrics"/> needs besides an <c>IEventStore</c>: the
    /// <see cref="MetricsOptions"/> bound to <c>Hub:Metrics</c> and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
