namespace LyzerHub.Server.Events;

/// <summary>An accepted event as the store keeps it. <see cref="PropertiesJson"/> is a JSON object's text.</summary>
public sealed record StoredEvent(
    string TenantId,
    string Id,
    string Name,
    DateTimeOffset Timestamp,
    string? DistinctId,
    string PropertiesJson,
    DateTimeOffset ReceivedAt);
