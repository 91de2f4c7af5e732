namespace LyzerHub.Server.Audit;

/// <summary>The <c>Hub:Audit</c> configuration section.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Hub:Audit";

    /// <summary>How long entries are kept, in days; older ones give way to a checkpoint entry.</summary>
    public int RetentionDays { get; set; } = 365;

    /// <summary>How often the aggregated kinds (failed logins, denials, rate limiting) are written (s).</summary>
    public int FlushSeconds { get; set; } = 5;

    /// <summary>
    /// Most distinct (key or address, action, target, minute) groups held between two writes; beyond it new groups
    /// are counted as dropped, so a flood from many addresses cannot grow memory without bound.
    /// </summary>
    public int MaxPendingGroups { get; set; } = 10_000;
}
