namespace LyzerHub.Server.Metrics;

/// <summary>One line of <c>GET /v1/metrics/events</c> (PRODUCT.md §6.3).</summary>
public sealed record EventNameSummary(string Name, long Count, DateTimeOffset LastSeen);
