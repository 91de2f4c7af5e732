namespace LyzerHub.Server.Events;

/// <summary>
/// The events feature's log messages (event ids 4000-4999). They carry counts, tenant ids and timings, never an
/// event's contents: properties are the tenant's data and may hold anything.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(4001, LogLevel.Debug, "Appended {EventCount} events from {RequestCount} requests in {ElapsedMs} ms",
        EventName = "EventsAppended")]
    public static partial void Appended(ILogger logger, int eventCount, int requestCount, double elapsedMs);

    [LoggerMessage(4002, LogLevel.Error, "Appending {EventCount} events from {RequestCount} requests failed",
        EventName = "EventAppendFailed")]
    public static partial void AppendFailed(ILogger logger, Exception exception, int eventCount, int requestCount);

    [LoggerMessage(4003, LogLevel.Warning,
        "The event write queue is full; refused a request of {EventCount} events with 503",
        EventName = "EventQueueFull")]
    public static partial void QueueFull(ILogger logger, int eventCount);

    [LoggerMessage(4004, LogLevel.Information, "Stopping the event writer; draining {RequestCount} queued requests",
        EventName = "EventWriterDraining")]
    public static partial void Draining(ILogger logger, int requestCount);

    [LoggerMessage(4005, LogLevel.Warning,
        "Refused an events body of tenant {TenantId} with 503: {BytesInFlight} body bytes already in flight",
        EventName = "EventBodyBudgetExhausted")]
    public static partial void BodyBudgetExhausted(ILogger logger, string tenantId, long bytesInFlight);

    [LoggerMessage(4010, LogLevel.Debug,
        "Tenant {TenantId} sent {Accepted} new, {Duplicates} duplicate and {Rejected} rejected events",
        EventName = "EventsIngested")]
    public static partial void Ingested(ILogger logger, string tenantId, int accepted, int duplicates, int rejected);

    [LoggerMessage(4011, LogLevel.Debug, "Tenant {TenantId} sent an invalid events body: {ErrorCount} errors",
        EventName = "EventsBodyInvalid")]
    public static partial void BodyInvalid(ILogger logger, string tenantId, int errorCount);

    [LoggerMessage(4012, LogLevel.Debug, "Tenant {TenantId} sent an events body over the limits",
        EventName = "EventsBodyTooLarge")]
    public static partial void BodyTooLarge(ILogger logger, string tenantId);

    [LoggerMessage(4013, LogLevel.Debug, "Tenant {TenantId} sent a strict events body with {Rejected} invalid items",
        EventName = "EventsStrictRefused")]
    public static partial void StrictRefused(ILogger logger, string tenantId, int rejected);

    [LoggerMessage(4020, LogLevel.Debug, "Tenant {TenantId} listed {EventCount} events",
        EventName = "EventsListed")]
    public static partial void EventsListed(ILogger logger, string tenantId, int eventCount);

    [LoggerMessage(4021, LogLevel.Debug, "Tenant {TenantId} started an NDJSON export of events",
        EventName = "EventExportStarted")]
    public static partial void EventExportStarted(ILogger logger, string tenantId);

    [LoggerMessage(4022, LogLevel.Debug, "Tenant {TenantId} sent an invalid event list query",
        EventName = "EventListRejected")]
    public static partial void EventListRejected(ILogger logger, string tenantId);
}
