using System.Globalization;

namespace LyzerHub.Bench;

/// <summary>One table: both figures from one run, their ratio, and issue 5's targets marked met or missed.</summary>
internal static class IngestReport
{
    // Issue 5: the hub keeps at least half of what the store alone does, and 100,000 events/s on 2 cores.
    private const double TargetRatio = 0.5;
    private const double TargetEventsPerSecond = 100_000;

    // Issue 5: the hub's peak memory while ingesting.
    internal const long TargetPeakBytes = 300L * 1024 * 1024;

    public static void Print(
        TextWriter output, BenchArguments arguments, BaselineResult baseline, HubResult hub, MemoryResult memory)
    {
        var ratio = hub.EventsPerSecond / baseline.EventsPerSecond;
        var sorted = hub.LatenciesMs.Order().ToArray();

        output.WriteLine();
        output.WriteLine($"{"measure",-46} {"value",14}  target");
        output.WriteLine(new string('-', 80));
        Row(output, $"baseline: store append of {arguments.BatchSize}, events/s",
            Format(baseline.EventsPerSecond), "");
        Row(output, "baseline ms per 1,000 events, first/last tenth", string.Create(CultureInfo.InvariantCulture,
            $"{baseline.FirstTenthMsPerThousand:F1} / {baseline.LastTenthMsPerThousand:F1}"), "");
        Row(output, "baseline CPU ms per 1,000 events (all threads)",
            baseline.CpuMsPerThousand.ToString("F1", CultureInfo.InvariantCulture), "");
        Row(output, $"hub: POST /v1/events, {arguments.Clients} client(s), events/s", Format(hub.EventsPerSecond),
            $">= {TargetEventsPerSecond:N0}: {Verdict(hub.EventsPerSecond >= TargetEventsPerSecond)}");
        Row(output, "ratio hub / baseline", ratio.ToString("P1", CultureInfo.InvariantCulture),
            $">= {TargetRatio:P0}: {Verdict(ratio >= TargetRatio)}");
        Row(output, "hub request latency p50, ms", Milliseconds(Percentile(sorted, 0.50)), "");
        Row(output, "hub request latency p99, ms", Milliseconds(Percentile(sorted, 0.99)), "");

        // What the writer's own log says: how much it coalesced, and how busy the single append path was.
        if (hub.Appends.Count > 0)
        {
            var appendMs = hub.Appends.Sum(a => a.ElapsedMs);
            Row(output, "writer appends (requests per append)", string.Create(CultureInfo.InvariantCulture,
                $"{hub.Appends.Count} ({hub.Appends.Average(a => a.RequestCount):F2})"), "");
            Row(output, "writer mean ms per append", (appendMs / hub.Appends.Count).ToString(
                "F1", CultureInfo.InvariantCulture), "");
            Row(output, "writer busy (append time / wall time)",
                (appendMs / hub.Elapsed.TotalMilliseconds).ToString("P0", CultureInfo.InvariantCulture), "");

            // The store's primary-key index grows with every event; comparing the first and last tenth of the
            // appends shows how much of the cost is that growth rather than a fixed cost per append.
            var tenth = Math.Max(1, hub.Appends.Count / 10);
            Row(output, "writer ms per 1,000 events, first/last tenth", string.Create(CultureInfo.InvariantCulture,
                $"{MsPerThousand(hub.Appends.Take(tenth)):F1} / {MsPerThousand(hub.Appends.TakeLast(tenth)):F1}"), "");
        }
        else
        {
            Row(output, "writer appends", "not logged", "");
        }

        // The hub as its own process, so its resident set holds nothing of the load generator or the baseline.
        Row(output, "hub process: events/s", Format(memory.EventsPerSecond), "");
        Row(output, "hub process: resident MiB after warm-up / at end",
            $"{Mebibytes(memory.AfterWarmUpBytes)} / {Mebibytes(memory.EndBytes)}", "");
        Row(output, "hub process: peak resident MiB (VmHWM)", Mebibytes(memory.PeakBytes),
            $"< {TargetPeakBytes / (1024 * 1024)}: {Verdict(memory.PeakBytes < TargetPeakBytes)}");
    }

    private static string Mebibytes(long bytes) =>
        (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);

    private static void Row(TextWriter output, string measure, string value, string target) =>
        output.WriteLine($"{measure,-46} {value,14}  {target}".TrimEnd());

    private static string Format(double eventsPerSecond) =>
        eventsPerSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static string Milliseconds(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static double MsPerThousand(IEnumerable<WriterLogCapture.Append> appends)
    {
        var list = appends.ToList();
        return 1_000 * list.Sum(a => a.ElapsedMs) / list.Sum(a => a.EventCount);
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    /// <summary>Nearest-rank percentile of an ascending array.</summary>
    private static double Percentile(double[] ascending, double quantile)
    {
        if (ascending.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(quantile * ascending.Length);
        return ascending[Math.Clamp(rank - 1, 0, ascending.Length - 1)];
    }
}
