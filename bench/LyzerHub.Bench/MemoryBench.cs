namespace LyzerHub.Bench;

/// <summary>
/// <c>memory [--events N] [--clients C] [--batch B] [--set NAME=VALUE ...]</c>: the ingest bench's third phase alone
/// (the built hub as its own process), with environment variables set for the hub only, so settings such as
/// <c>Hub__DuckDb__MemoryLimit</c> or <c>DOTNET_gcServer</c> can be compared in interleaved runs without the
/// minutes the baseline and in-process phases take at a million events.
/// </summary>
internal static class MemoryBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string> { "ingest" };
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--set" && i + 1 < args.Length
                && args[i + 1].Split('=', 2) is [{ Length: > 0 } name, var value])
            {
                settings[name] = value;
                i++;
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        var arguments = BenchArguments.TryParse([.. rest], out var error);
        if (arguments is null)
        {
            Console.Error.WriteLine(error + "\n  memory also takes [--set NAME=VALUE] (environment for the hub)");
            return 2;
        }

        var set = settings.Count == 0 ? "defaults" : string.Join(' ', settings.Select(s => $"{s.Key}={s.Value}"));
        Console.WriteLine($"Lyzer Hub memory benchmark: {arguments.Events:N0} events in batches of "
            + $"{arguments.BatchSize:N0}, {arguments.Clients} client(s), {Environment.ProcessorCount} cores; {set}");
        var events = new SyntheticEvents(arguments.Events, DateTimeOffset.UtcNow);
        var memory = await HubProcessIngest.RunAsync(
            events, arguments.BatchSize, arguments.Clients, CancellationToken.None, settings);
        Console.WriteLine($"hub process: {memory.EventsPerSecond:N0} events/s; resident MiB after warm-up "
            + $"{Mebibytes(memory.AfterWarmUpBytes)}, end {Mebibytes(memory.EndBytes)}, "
            + $"peak (VmHWM) {Mebibytes(memory.PeakBytes)}: "
            + (memory.PeakBytes < IngestReport.TargetPeakBytes ? "met" : "missed") + " (< 300 MiB)");
        return 0;
    }

    private static string Mebibytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("N0",
        System.Globalization.CultureInfo.InvariantCulture);
}
