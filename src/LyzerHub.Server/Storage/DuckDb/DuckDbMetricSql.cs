using System.Globalization;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.Storage.DuckDb;

/// <summary>
/// Builds the one SQL statement that answers a metric query. The text is assembled only from fixed fragments;
/// every value from the request (property names included) travels as a parameter, because property names are
/// data (PRODUCT.md §6.1) and may hold quotes, dots, slashes or JSONPath syntax.
/// </summary>
internal sealed class DuckDbMetricSql
{
    private const string NumericTypes = "('BIGINT', 'UBIGINT', 'DOUBLE')";

    private readonly List<DuckDBParameter> _parameters = [];

    private string _text = "";

    private DuckDbMetricSql()
    {
    }

    public string Text => _text;

    public IReadOnlyList<DuckDBParameter> Parameters => _parameters;

    /// <summary>
    /// Result columns: pos (rank of the breakdown value, null for the series without one), k (the value's JSON
    /// text), idx (bucket index, null on the row holding the series total), value (DOUBLE).
    /// </summary>
    public static DuckDbMetricSql Build(string tenantId, MetricQuery query, IReadOnlyList<DateTimeOffset> starts)
    {
        var sql = new DuckDbMetricSql();
        var where = new StringBuilder();
        foreach (var filter in query.Filters)
        {
            where.Append(" AND ").Append(sql.Filter(filter));
        }

        var measured = query.Property is null
            ? "NULL"
            : $"json_extract(properties, {sql.Add(Pointer(query.Property))})";
        string Raw(string keyed) => $"""
            raw AS (
                SELECT ts, distinct_id, {measured} AS mv{keyed}
                FROM events
                WHERE tenant_id = {sql.Add(tenantId)} AND name = {sql.Add(query.Event)}
                  AND ts >= {sql.Add(query.From)} AND ts < {sql.Add(query.To)}{where}
            )
            """;
        if (query.Breakdown is null)
        {
            // No breakdown: one series, so no ranking and no join to the ranks (each costs a pass over the rows).
            var (bucketCte, bucketJoin, bucket) = sql.Buckets(starts, "matched.ts");
            sql._text = $"""
                WITH {bucketCte}{Raw("")},
                matched AS (SELECT ts, {Value(query)} AS v FROM raw)
                SELECT NULL::BIGINT AS pos, NULL::VARCHAR AS k, {bucket} AS idx, {Aggregate(query.Measure)} AS value
                FROM matched{bucketJoin}
                GROUP BY GROUPING SETS ((idx), ())
                """;
            return sql;
        }

        var keyed = $", json_extract(properties, {sql.Add(Pointer(query.Breakdown))}) AS kv";
        var (cte, join, idx) = sql.Buckets(starts, "kept.ts");
        sql._text = $"""
            WITH {cte}{Raw(keyed)},
            matched AS (
                SELECT ts, {Value(query)} AS v,
                       CASE WHEN json_type(kv) IS NULL OR json_type(kv) = 'NULL' THEN NULL ELSE kv::VARCHAR END AS k
                FROM raw
            ),
            ranked AS (
                SELECT k, row_number() OVER (
                    ORDER BY n DESC,
                        CASE json_type(k::JSON) WHEN 'BOOLEAN' THEN 0 WHEN 'VARCHAR' THEN 2
                            ELSE CASE WHEN json_type(k::JSON) IN {NumericTypes} THEN 1 ELSE 3 END END,
                        CASE WHEN json_type(k::JSON) = 'BOOLEAN' THEN k::JSON::BOOLEAN END,
                        CASE WHEN json_type(k::JSON) IN {NumericTypes} THEN TRY_CAST(k::JSON AS DOUBLE) END,
                        CASE WHEN json_type(k::JSON) = 'VARCHAR' THEN k::JSON ->> '$' END,
                        k) AS pos
                FROM (SELECT k, count(*) AS n FROM matched WHERE k IS NOT NULL GROUP BY k)
                QUALIFY pos <= {sql.Add(query.Limit)}
            ),
            kept AS (
                SELECT m.ts, m.v, m.k, r.pos
                FROM matched m LEFT JOIN ranked r ON m.k = r.k
                WHERE m.k IS NULL OR r.pos IS NOT NULL
            )
            SELECT kept.pos, kept.k, {idx} AS idx, {Aggregate(query.Measure)} AS value
            FROM kept{join}
            GROUP BY GROUPING SETS ((kept.pos, kept.k, idx), (kept.pos, kept.k))
            """;
        return sql;
    }

    /// <summary>
    /// How rows find their bucket: a CTE (or nothing), a join clause (or nothing) and the bucket index expression.
    /// Equally spaced starts (any fixed-offset stretch: UTC, or a zone's days and hours away from a transition)
    /// take the index by integer division on microseconds, which is what the ASOF join would find there but
    /// costs no join; uneven ones (a DST day, months) join each row to the last start at or before it.
    /// </summary>
    private (string Cte, string Join, string Index) Buckets(IReadOnlyList<DateTimeOffset> starts, string ts)
    {
        if (starts.Count == 1) return ("", "", "0::BIGINT");
        var step = starts[1].UtcTicks - starts[0].UtcTicks;
        var even = step % TimeSpan.TicksPerMicrosecond == 0 && starts[0].UtcTicks % TimeSpan.TicksPerMicrosecond == 0;
        for (var i = 2; even && i < starts.Count; i++) even = starts[i].UtcTicks - starts[i - 1].UtcTicks == step;
        if (even)
        {
            var origin = (starts[0].UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
            return ("", "", $"(epoch_us({ts}) - {Add(origin)}) // {Add(step / TimeSpan.TicksPerMicrosecond)}");
        }

        var cte = $"""
            buckets AS (SELECT unnest({Add(starts.ToList())}) AS start, generate_subscripts({Last}, 1) - 1 AS idx),

            """;
        return (cte, $" ASOF JOIN buckets b ON {ts} >= b.start", "b.idx");
    }

    /// <summary>
    /// A JSON Pointer (RFC 6901) to a top-level property: unlike a JSONPath it has no syntax inside a name, only
    /// the two escapes below, so any name addresses exactly itself.
    /// </summary>
    internal static string Pointer(string name) => "/" + name.Replace("~", "~0", StringComparison.Ordinal)
        .Replace("/", "~1", StringComparison.Ordinal);

    private string Last => "$p" + (_parameters.Count - 1).ToString(CultureInfo.InvariantCulture);

    private string Add(object value)
    {
        var name = "p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(new DuckDBParameter(name, value));
        return "$" + name;
    }

    private static string Value(MetricQuery query) => query.Measure switch
    {
        Measure.Count => "NULL",
        Measure.Unique when query.Property is null => "distinct_id",

        // Distinct JSON values, so 1 and "1" stay two values; JSON null counts as absent.
        Measure.Unique => "CASE WHEN json_type(mv) <> 'NULL' THEN mv::VARCHAR END",
        _ => Numeric("mv"),
    };

    private static string Numeric(string json) =>
        $"CASE WHEN json_type({json}) IN {NumericTypes} THEN TRY_CAST({json} AS DOUBLE) END";

    private static string Aggregate(Measure measure) => measure switch
    {
        Measure.Count => "count(*)::DOUBLE",
        Measure.Unique => "count(DISTINCT v)::DOUBLE",
        Measure.Sum => "coalesce(sum(v), 0)",
        Measure.Avg => "avg(v)",
        Measure.Min => "min(v)",
        Measure.Max => "max(v)",
        Measure.P50 => "quantile_cont(v, 0.5)",
        Measure.P90 => "quantile_cont(v, 0.9)",
        Measure.P95 => "quantile_cont(v, 0.95)",
        Measure.P99 => "quantile_cont(v, 0.99)",
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };

    private string Filter(MetricFilter filter)
    {
        var json = $"json_extract(properties, {Add(Pointer(filter.Property))})";
        return filter.Op switch
        {
            FilterOp.Neq => $"NOT {Compare(json, "=", filter.Value)}",
            FilterOp.In => filter.Value.ValueKind == JsonValueKind.Array && filter.Value.GetArrayLength() > 0
                ? "(" + string.Join(" OR ", filter.Value.EnumerateArray().Select(v => Compare(json, "=", v))) + ")"
                : "false",
            FilterOp.Contains => filter.Value.ValueKind == JsonValueKind.String
                ? $"coalesce(contains({StringOf(json)}, {Add(filter.Value.GetString()!)}), false)"
                : "false",
            _ => Compare(json, Operator(filter.Op), filter.Value),
        };
    }

    /// <summary>A comparison that is false, never null, when the property is missing or of another JSON type.</summary>
    // Known gap: numbers compare as DOUBLE, so integers beyond 2^53 can compare equal to a neighbour, and strings
    // compare in UTF-8 byte order, which differs from .NET ordinal (UTF-16) order only for characters above
    // U+FFFF against U+E000-U+FFFF — comparing as DECIMAL/HUGEINT and a UTF-16 collation would fix them.
    private string Compare(string json, string op, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"coalesce({Numeric(json)} {op} {Add(value.GetDouble())}, false)",
        JsonValueKind.String => $"coalesce({StringOf(json)} {op} {Add(value.GetString()!)}, false)",
        JsonValueKind.True or JsonValueKind.False =>
            $"coalesce({BooleanOf(json)} {op} {Add(value.GetBoolean())}, false)",
        _ => "false",
    };

    private static string BooleanOf(string json) => $"CASE WHEN json_type({json}) = 'BOOLEAN' THEN {json}::BOOLEAN END";

    private static string StringOf(string json) => $"CASE WHEN json_type({json}) = 'VARCHAR' THEN {json} ->> '$' END";

    private static string Operator(FilterOp op) => op switch
    {
        FilterOp.Eq => "=",
        FilterOp.Gt => ">",
        FilterOp.Gte => ">=",
        FilterOp.Lt => "<",
        FilterOp.Lte => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
