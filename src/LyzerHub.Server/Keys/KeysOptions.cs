namespace LyzerHub.Server.Keys;

/// <summary>The <c>Hub:Keys</c> configuration section.</summary>
public sealed class KeysOptions
{
    public const string SectionName = "Hub:Keys";

    /// <summary>How often key usage (last used, request count) is written to the store, in seconds.</summary>
    public int UsageFlushSeconds { get; set; } = 5;
}
