using LyzerHub.Bench;

// dotnet run -c Release --project bench/LyzerHub.Bench -- ingest [--events N] [--clients C] [--batch B] [--json F]
// dotnet run -c Release --project bench/LyzerHub.Bench -- keycheck [BenchmarkDotNet options]
if (args is ["keycheck", .. var benchmarkArgs]) return KeyCheckBenchmarks.Run(benchmarkArgs);

// dotnet run -c Release --project bench/LyzerHub.Bench -- dedupe [MILLIONS ...]
if (args is ["dedupe", ..]) return await DedupeIndexBench.RunAsync(args);

// dotnet run -c Release --project bench/LyzerHub.Bench -- ratelimit [BenchmarkDotNet options]
if (args is ["ratelimit", .. var rateLimitArgs]) return RateLimitBenchmarks.Run(rateLimitArgs);

// dotnet run -c Release --project bench/LyzerHub.Bench -- audit [BenchmarkDotNet options]
if (args is ["audit", .. var auditArgs]) return AuditBenchmarks.Run(auditArgs);

// dotnet run -c Release --project bench/LyzerHub.Bench -- metrics [--events N] [--tenants T] [--runs R] [--json F]
if (args is ["metrics", ..])
{
    var metricsArguments = MetricsArguments.TryParse(args, out var metricsError);
    if (metricsArguments is null)
    {
        Console.Error.WriteLine(metricsError);
        return 2;
    }

    Console.WriteLine($"Lyzer Hub metrics benchmark: {metricsArguments.Events:N0} events in "
        + $"{metricsArguments.Tenants} tenants, median of {metricsArguments.Runs} runs, "
        + $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
    var rows = await MetricsBench.RunAsync(metricsArguments, CancellationToken.None);
    MetricsReport.Print(Console.Out, rows);
    if (metricsArguments.JsonPath is { } metricsJson) BenchFigures.WriteMetrics(metricsJson, metricsArguments, rows);
    return 0;
}

// dotnet run -c Release --project bench/LyzerHub.Bench -- memory [--events N] [--clients C] [--set K=V ...]
// Only the hub-as-a-process phase, with environment variables for the hub alone, to compare settings quickly.
if (args is ["memory", .. var memoryArgs]) return await MemoryBench.RunAsync(memoryArgs);

var arguments = BenchArguments.TryParse(args, out var error);
if (arguments is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

#if DEBUG
Console.Error.WriteLine("warning: a Debug build; run with -c Release for figures worth recording.");
#endif

Console.WriteLine($"Lyzer Hub ingest benchmark: {arguments.Events:N0} events in batches of "
    + $"{arguments.BatchSize:N0}, {arguments.Clients} client(s), {Environment.ProcessorCount} cores, "
    + $".NET {Environment.Version}");

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var events = new SyntheticEvents(arguments.Events, DateTimeOffset.UtcNow);

Console.WriteLine("baseline: appending straight into DuckDbEventStore...");
var baseline = await StoreBaseline.RunAsync(events, arguments.BatchSize, cancellation.Token);

Console.WriteLine("hub: POST /v1/events over HTTPS...");
var hub = await HubIngest.RunAsync(events, arguments.BatchSize, arguments.Clients, cancellation.Token);

Console.WriteLine("memory: the same events to the built hub as its own process...");
var memory = await HubProcessIngest.RunAsync(events, arguments.BatchSize, arguments.Clients, cancellation.Token);

IngestReport.Print(Console.Out, arguments, baseline, hub, memory);
if (arguments.JsonPath is { } json) BenchFigures.WriteIngest(json, arguments, baseline, hub, memory);
return 0;
