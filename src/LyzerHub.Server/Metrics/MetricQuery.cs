using System.Text.Json;

namespace LyzerHub.Server.Metrics;

public enum Measure { Count, Unique, Sum, Avg, Min, Max, P50, P90, P95, P99 }

public enum MetricInterval { None, Minute, Hour, Day, Week, Month }

public enum FilterOp { Eq, Neq, Gt, Gte, Lt, Lte, Contains, In }

/// <summary>
/// One filter of PRODUCT.md §6.2; <see cref="Value"/> is a number, string, boolean, or (for in) an array.
/// </summary>
public sealed record MetricFilter(string Property, FilterOp Op, JsonElement Value);

/// <summary>A validated metric query (PRODUCT.md §6.2). The range is half-open [From, To).</summary>
public sealed record MetricQuery(
    string Event,
    Measure Measure,
    string? Property,
    DateTimeOffset From,
    DateTimeOffset To,
    MetricInterval Interval,
    TimeZoneInfo TimeZone,
    IReadOnlyList<MetricFilter> Filters,
    string? Breakdown,
    int Limit);

/// <summary>One bucket's value; null where the measure has no value (avg, min, max, percentiles of nothing).</summary>
public sealed record MetricPoint(DateTimeOffset T, double? Value);

/// <summary>
/// One series. <see cref="Key"/> is the breakdown value with its JSON type kept (a number stays a number),
/// or null for the series without a breakdown and for events that lack the breakdown property.
/// </summary>
public sealed record MetricSeries(JsonElement? Key, double? Total, IReadOnlyList<MetricPoint> Points);

public sealed record MetricResult(IReadOnlyList<MetricSeries> Series);
