using System.Globalization;

namespace LyzerHub.Bench;

/// <summary>The command line: <c>metrics [--events N] [--tenants T] [--runs R] [--json FILE]</c>.</summary>
internal sealed record MetricsArguments(int Events, int Tenants, int Runs, string? JsonPath = null)
{
    public const string Usage = "usage: LyzerHub.Bench metrics [--events N (default 1000000)] "
        + "[--tenants T (default 10)] [--runs R (timed runs per query after one warm-up, default 5)] "
        + "[--json FILE (also write the figures there, for bench/plot.py)]";

    public static MetricsArguments? TryParse(string[] args, out string? error)
    {
        error = null;
        int events = 1_000_000, tenants = 10, runs = 5;
        string? json = null;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var parsed = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number);
            switch (args[i])
            {
                case "--events" when parsed && number > 0:
                    events = number;
                    break;
                case "--tenants" when parsed && number > 0:
                    tenants = number;
                    break;
                case "--runs" when parsed && number > 0:
                    runs = number;
                    break;
                case "--json" when value is { Length: > 0 }:
                    json = value;
                    break;
                default:
                    error = $"unexpected argument '{args[i]}' {value}\n{Usage}";
                    return null;
            }

            i++;
        }

        return new MetricsArguments(events, tenants, runs, json);
    }
}

/// <summary>The metrics table: API and SQL medians, their ratio, and issue 5's 1.5x target per query.</summary>
internal static class MetricsReport
{
    private const double TargetRatio = 1.5;

    public static void Print(TextWriter output, IReadOnlyList<MetricsBenchRow> rows)
    {
        output.WriteLine();
        output.WriteLine($"{"query (median wall ms)",-28} {"API",8} {"SQL",8} {"ratio",7}  "
            + $"{"CPU API",8} {"CPU SQL",8} {"ratio",7}  target <= {TargetRatio}x");
        output.WriteLine(new string('-', 100));
        foreach (var row in rows)
        {
            var verdict = row.Ratio <= TargetRatio ? "met" : "MISSED";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Query,-28} {row.ApiMs,8:F1} {row.SqlMs,8:F1} {row.Ratio,6:F2}x  "
                + $"{row.ApiCpuMs,8:F1} {row.SqlCpuMs,8:F1} {row.CpuRatio,6:F2}x  {verdict} (wall)"));
        }
    }
}
