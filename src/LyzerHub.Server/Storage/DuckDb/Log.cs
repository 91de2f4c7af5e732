namespace LyzerHub.Server.Storage.DuckDb;

/// <summary>Log messages of the DuckDB event store; event ids 5500-5599.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5500, EventName = "EventStoreOpened", Level = LogLevel.Information,
        Message = "Event store opened at {Path} (memory limit {MemoryLimit}, {Threads} threads)")]
    public static partial void EventStoreOpened(ILogger logger, string path, string memoryLimit, int threads);

    [LoggerMessage(EventId = 5501, EventName = "EventsAppended", Level = LogLevel.Debug,
        Message = "Appended {Stored} events ({Duplicates} duplicates) in {ElapsedMilliseconds} ms")]
    public static partial void EventsAppended(ILogger logger, int stored, int duplicates, long elapsedMilliseconds);

    [LoggerMessage(EventId = 5502, EventName = "MetricQueryExecuted", Level = LogLevel.Debug,
        Message = "Metric query over {Buckets} buckets returned {Rows} rows in {ElapsedMilliseconds} ms")]
    public static partial void MetricQueryExecuted(ILogger logger, int buckets, int rows, long elapsedMilliseconds);

    [LoggerMessage(EventId = 5503, EventName = "MetricQueryCancelled", Level = LogLevel.Debug,
        Message = "Metric query interrupted after {ElapsedMilliseconds} ms")]
    public static partial void MetricQueryCancelled(ILogger logger, long elapsedMilliseconds);
}
