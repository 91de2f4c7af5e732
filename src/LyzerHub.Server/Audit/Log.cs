namespace LyzerHub.Server.Audit;

internal static partial class AuditLog
{
    [LoggerMessage(EventId = 8001, EventName = "AuditFlushed", Level = LogLevel.Debug,
        Message = "Wrote {Count} aggregated audit entries")]
    public static partial void Flushed(ILogger logger, int count);

    [LoggerMessage(EventId = 8002, EventName = "AuditWriteFailed", Level = LogLevel.Error,
        Message = "Writing aggregated audit entries or applying retention failed")]
    public static partial void WriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8003, EventName = "AuditGroupsDropped", Level = LogLevel.Warning,
        Message = "{Dropped} audit occurrences were not recorded: more than {Max} groups were pending")]
    public static partial void GroupsDropped(ILogger logger, long dropped, int max);

    [LoggerMessage(EventId = 8004, EventName = "AuditRetentionApplied", Level = LogLevel.Information,
        Message = "Audit retention removed {Removed} entries older than {Days} days behind checkpoints")]
    public static partial void RetentionApplied(ILogger logger, int removed, int days);

    [LoggerMessage(EventId = 8005, EventName = "AuditVerified", Level = LogLevel.Information,
        Message = "Audit chain {Chain} verified: ok {Ok}, {Entries} entries, first bad {FirstBad}")]
    public static partial void Verified(ILogger logger, string chain, bool ok, long entries, string? firstBad);
}
