using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LyzerHub.Bench;

/// <summary>
/// The figures a run printed, also as JSON (<c>--json FILE</c>), so <c>bench/plot.py</c> draws
/// <c>docs/benchmarks.svg</c> from measured numbers rather than numbers typed in by hand.
/// </summary>
internal static class BenchFigures
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static void WriteIngest(
        string path, BenchArguments arguments, BaselineResult baseline, HubResult hub, MemoryResult memory)
    {
        var figures = Header("ingest");
        figures["events"] = arguments.Events;
        figures["clients"] = arguments.Clients;
        figures["batch"] = arguments.BatchSize;
        figures["baseline_events_per_second"] = Math.Round(baseline.EventsPerSecond);
        figures["hub_events_per_second"] = Math.Round(hub.EventsPerSecond);
        figures["hub_process_events_per_second"] = Math.Round(memory.EventsPerSecond);
        figures["hub_process_after_warm_up_bytes"] = memory.AfterWarmUpBytes;
        figures["hub_process_peak_bytes"] = memory.PeakBytes;
        figures["memory_samples"] = new JsonArray([.. memory.Samples.Select(s =>
            (JsonNode)new JsonArray(Math.Round(s.Seconds, 2), s.Bytes))]);
        File.WriteAllText(path, figures.ToJsonString(s_indented));
    }

    public static void WriteMetrics(string path, MetricsArguments arguments, IReadOnlyList<MetricsBenchRow> rows)
    {
        var figures = Header("metrics");
        figures["events"] = arguments.Events;
        figures["tenants"] = arguments.Tenants;
        figures["runs"] = arguments.Runs;
        figures["queries"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["query"] = r.Query, ["api_ms"] = Math.Round(r.ApiMs, 2), ["sql_ms"] = Math.Round(r.SqlMs, 2),
            ["api_cpu_ms"] = Math.Round(r.ApiCpuMs, 2), ["sql_cpu_ms"] = Math.Round(r.SqlCpuMs, 2),
        })]);
        File.WriteAllText(path, figures.ToJsonString(s_indented));
    }

    private static JsonObject Header(string bench) => new()
    {
        ["bench"] = bench,
        ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
        ["cores"] = Environment.ProcessorCount,
        ["dotnet"] = Environment.Version.ToString(),
        ["load_average"] = LoadAverage(),
    };

    /// <summary>The 1-minute load average at the end of the run (Linux), since the cores are shared.</summary>
    private static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
}
