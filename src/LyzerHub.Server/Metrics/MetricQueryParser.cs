using System.Text.Json;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;

namespace LyzerHub.Server.Metrics;

/// <summary>
/// Reads and validates the body of <c>POST /v1/metrics/query</c> (PRODUCT.md §6.2), collecting every invalid
/// field rather than stopping at the first, so one 400 tells the caller everything to fix.
/// </summary>
public static partial class MetricQueryParser
{
    public const int MaxBucketsPerSeries = 10_000;
    public const int MaxPointsPerAnswer = 100_000;
    public const int MaxLimit = 1_000;
    public const int MaxInValues = 1_000;
    public const int DefaultLimit = 10;

    private static readonly Dictionary<string, Measure> s_measures = Enum.GetValues<Measure>()
        .ToDictionary(m => m.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    private static readonly Dictionary<string, MetricInterval> s_intervals = Enum.GetValues<MetricInterval>()
        .ToDictionary(i => i.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    private static readonly Dictionary<string, FilterOp> s_ops = Enum.GetValues<FilterOp>()
        .ToDictionary(o => o.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>Returns the query, or null with at least one error.</summary>
    public static MetricQuery? Parse(JsonElement body, out IReadOnlyList<FieldError> errors)
    {
        var found = new List<FieldError>();
        errors = found;
        if (body.ValueKind != JsonValueKind.Object)
        {
            found.Add(FieldError.ForField("body", "must be a JSON object"));
            return null;
        }

        var name = RequiredString(body, "event", found);
        if (name is not null && (name.Length == 0 || name.EnumerateRunes().Count() > 200))
        {
            found.Add(FieldError.ForField("event", "must be 1 to 200 characters"));
        }

        var measure = Choice(body, "measure", s_measures, Measure.Count, found);
        var property = OptionalString(body, "property", found);
        var from = Timestamp(body, "from", found);
        var to = Timestamp(body, "to", found);
        var interval = Choice(body, "interval", s_intervals, MetricInterval.None, found);
        var zone = Zone(body, found);
        var filters = Filters(body, found);
        var breakdown = OptionalString(body, "breakdown", found);
        var limit = Limit(body, found);

        if (measure == Measure.Count && property is not null)
        {
            found.Add(FieldError.ForField("property", "must be absent for the count measure"));
        }
        else if (measure is not (Measure.Count or Measure.Unique) && property is null
            && !found.Any(e => e.Field == "property"))
        {
            found.Add(FieldError.ForField("property", $"is required for the {Name(measure)} measure"));
        }

        if (from is not null && to is not null && from >= to)
        {
            found.Add(FieldError.ForField("to", "must be after from"));
        }

        if (found.Count == 0)
        {
            var starts = BucketBoundaries.TryCompute(from!.Value, to!.Value, interval, zone!, MaxBucketsPerSeries);
            var series = breakdown is null ? 1 : limit + 1;
            if (starts is null)
            {
                found.Add(FieldError.ForField("interval",
                    $"the range holds more than {MaxBucketsPerSeries:N0} buckets; use a longer interval"));
            }
            else if ((long)starts.Count * series > MaxPointsPerAnswer)
            {
                found.Add(FieldError.ForField("limit",
                    $"{starts.Count:N0} buckets for up to {series:N0} series exceed {MaxPointsPerAnswer:N0} points"));
            }
        }

        return found.Count > 0
            ? null
            : new MetricQuery(name!, measure, property, from!.Value, to!.Value, interval, zone!, filters, breakdown,
                limit);
    }

    private static string Name(Measure measure) => measure.ToString().ToLowerInvariant();

    private static string? RequiredString(JsonElement body, string field, List<FieldError> errors)
    {
        if (body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        errors.Add(FieldError.ForField(field, "is required and must be a string"));
        return null;
    }

    private static string? OptionalString(JsonElement body, string field, List<FieldError> errors)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        errors.Add(FieldError.ForField(field, "must be a string or null"));
        return null;
    }

    private static T Choice<T>(
        JsonElement body, string field, Dictionary<string, T> choices, T fallback, List<FieldError> errors)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        if (value.ValueKind == JsonValueKind.String && choices.TryGetValue(value.GetString()!, out var choice))
        {
            return choice;
        }

        errors.Add(FieldError.ForField(field, "must be one of " + string.Join(", ", choices.Keys)));
        return fallback;
    }

    private static DateTimeOffset? Timestamp(JsonElement body, string field, List<FieldError> errors)
    {
        if (body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
            && Rfc3339.TryParse(value.GetString()!, out var parsed)
            && parsed.Year is >= 1000 and <= 9000)
        {
            return parsed;
        }

        errors.Add(FieldError.ForField(field, "is required and must be an RFC 3339 timestamp with an offset"));
        return null;
    }

    private static TimeZoneInfo? Zone(JsonElement body, List<FieldError> errors)
    {
        if (!body.TryGetProperty("timezone", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return TimeZoneInfo.Utc;
        }

        // Only IANA names: a Windows name would resolve on some machines and not on others.
        if (value.ValueKind == JsonValueKind.String
            && TimeZoneInfo.TryFindSystemTimeZoneById(value.GetString()!, out var zone) && zone.HasIanaId)
        {
            return zone;
        }

        errors.Add(FieldError.ForField("timezone", "must be an IANA time zone name such as Europe/Paris"));
        return null;
    }

    private static int Limit(JsonElement body, List<FieldError> errors)
    {
        if (!body.TryGetProperty("limit", out var value) || value.ValueKind == JsonValueKind.Null) return DefaultLimit;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var limit)
            && limit is >= 1 and <= MaxLimit)
        {
            return limit;
        }

        errors.Add(FieldError.ForField("limit", $"must be an integer from 1 to {MaxLimit}"));
        return DefaultLimit;
    }

    private static List<MetricFilter> Filters(JsonElement body, List<FieldError> errors)
    {
        var filters = new List<MetricFilter>();
        if (!body.TryGetProperty("filters", out var array) || array.ValueKind == JsonValueKind.Null) return filters;
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add(FieldError.ForField("filters", "must be an array"));
            return filters;
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var field = $"filters[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(FieldError.ForField(field, "must be an object"));
                continue;
            }

            string? property = null;
            if (item.TryGetProperty("property", out var propertyValue)
                && propertyValue.ValueKind == JsonValueKind.String)
            {
                property = propertyValue.GetString();
            }
            else
            {
                errors.Add(FieldError.ForField($"{field}.property", "is required and must be a string"));
            }

            var op = FilterOp.Eq;
            if (!item.TryGetProperty("op", out var opValue) || opValue.ValueKind != JsonValueKind.String
                || !s_ops.TryGetValue(opValue.GetString()!, out op))
            {
                errors.Add(FieldError.ForField($"{field}.op", "must be one of " + string.Join(", ", s_ops.Keys)));
                continue;
            }

            if (!item.TryGetProperty("value", out var value) || !IsValidValue(op, value))
            {
                errors.Add(FieldError.ForField($"{field}.value", op switch
                {
                    FilterOp.In => $"must be an array of at most {MaxInValues} numbers, strings or booleans",
                    FilterOp.Contains => "must be a string",
                    _ => "must be a number, a string or a boolean",
                }));
                continue;
            }

            if (property is not null) filters.Add(new MetricFilter(property, op, value.Clone()));
        }

        return filters;
    }

    private static bool IsValidValue(FilterOp op, JsonElement value) => op switch
    {
        FilterOp.In => value.ValueKind == JsonValueKind.Array && value.GetArrayLength() <= MaxInValues
            && value.EnumerateArray().All(IsScalar),
        FilterOp.Contains => value.ValueKind == JsonValueKind.String,
        _ => IsScalar(value),
    };

    private static bool IsScalar(JsonElement value) => value.ValueKind is JsonValueKind.Number
        or JsonValueKind.String or JsonValueKind.True or JsonValueKind.False;
}
