using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LyzerHub.Server.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <see cref="MetricsEndpoints.MapMetrics"/> needs besides an <c>IEventStore</c>: the
    /// <see cref="MetricsOptions"/> bound to <c>Hub:Metrics</c> and a <see cref="TimeProvider"/>.
    /// </summary>
    /// <remarks>
    /// Not named AddMetrics: Microsoft.Extensions.DependencyInjection already has an AddMetrics extension on
    /// IServiceCollection (System.Diagnostics.Metrics), and a call from Program.cs would be ambiguous (CS0121).
    /// </remarks>
    public static IServiceCollection AddHubMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
