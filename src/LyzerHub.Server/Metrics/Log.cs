namespace LyzerHub.Server.Metrics;

/// <summary>Log messages of the metrics feature; event ids 5000-5099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, EventName = "MetricQueryRejected", Level = LogLevel.Debug,
        Message = "Metric query rejected with {ErrorCount} invalid fields")]
    public static partial void MetricQueryRejected(ILogger logger, int errorCount);

    [LoggerMessage(EventId = 5001, EventName = "MetricQueryTimedOut", Level = LogLevel.Information,
        Message = "Metric query over {Buckets} buckets timed out after {TimeoutSeconds} s")]
    public static partial void MetricQueryTimedOut(ILogger logger, int buckets, double timeoutSeconds);

    [LoggerMessage(EventId = 5002, EventName = "MetricQueryAnswered", Level = LogLevel.Debug,
        Message = "Metric query answered with {Series} series in {ElapsedMilliseconds} ms")]
    public static partial void MetricQueryAnswered(ILogger logger, int series, long elapsedMilliseconds);
}
