namespace LyzerHub.Server.Keys;

/// <summary>The keys feature's log messages (event ids 2000–2999). Key ids only, never a key.</summary>
internal static partial class KeysLog
{
    [LoggerMessage(EventId = 2000, EventName = "KeyCreated", Level = LogLevel.Information,
        Message = "Key {KeyId} created by key {CallerKeyId} for user {UserId}")]
    public static partial void KeyCreated(ILogger logger, string keyId, string callerKeyId, string userId);

    [LoggerMessage(EventId = 2001, EventName = "KeyRolled", Level = LogLevel.Information,
        Message = "Key {KeyId} rolled; its previous secret works until {PreviousSecretValidUntil}")]
    public static partial void KeyRolled(ILogger logger, string keyId, DateTimeOffset previousSecretValidUntil);

    [LoggerMessage(EventId = 2002, EventName = "KeyCreateDenied", Level = LogLevel.Information,
        Message = "Key {CallerKeyId} was refused a new key: {Reason}")]
    public static partial void KeyCreateDenied(ILogger logger, string callerKeyId, string reason);

    [LoggerMessage(EventId = 2010, EventName = "UsageFlushed", Level = LogLevel.Debug,
        Message = "Key usage written: {Keys} key(s), {Requests} request(s)")]
    public static partial void UsageFlushed(ILogger logger, int keys, long requests);

    [LoggerMessage(EventId = 2011, EventName = "UsageFlushFailed", Level = LogLevel.Warning,
        Message = "Key usage could not be written to the control store")]
    public static partial void UsageFlushFailed(ILogger logger, Exception exception);
}
