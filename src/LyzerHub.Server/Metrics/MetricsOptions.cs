namespace LyzerHub.Server.Metrics;

/// <summary>The <c>Hub:Metrics</c> configuration section.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Hub:Metrics";

    /// <summary>How long a metric query may run before the answer is 504 query_timeout (PRODUCT.md §6.2).</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
