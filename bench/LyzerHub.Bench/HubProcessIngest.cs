using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace LyzerHub.Bench;

/// <summary>
/// The hub's memory while ingesting: the built hub (<c>LyzerHub.Server.dll</c>) as a process of its own, so its
/// resident set holds nothing of the load generator, its pre-built bodies or the baseline's store. The same
/// bodies go to it as to the in-process hub; the peak resident set comes from the kernel's high-water mark
/// (<see cref="Process.PeakWorkingSet64"/>, VmHWM on Linux), sampled as well every 100 ms for the plot.
/// </summary>
internal static partial class HubProcessIngest
{
    private static readonly TimeSpan s_sampleEvery = TimeSpan.FromMilliseconds(100);

    public static async Task<MemoryResult> RunAsync(
        SyntheticEvents events, int batchSize, int clientCount, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? hubEnvironment = null)
    {
        using var directory = new TempDirectory("lyzer-bench-hubproc-");
        var dataDir = Path.Combine(directory.Path, "data");
        var serverDll = Path.Combine(AppContext.BaseDirectory, "LyzerHub.Server.dll");
        var start = new ProcessStartInfo(DotnetHost(), [serverDll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Hub__DataDir"] = dataDir;
        start.Environment["Hub__Urls"] = "https://127.0.0.1:0";
        start.Environment["Hub__Bootstrap__AdminPassword"] = HubIngest.AdminPassword;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // `memory --set K=V`: a setting or runtime knob (Hub__DuckDb__MemoryLimit, DOTNET_gcServer) for the hub only.
        foreach (var (name, value) in hubEnvironment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = new Process { StartInfo = start };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null && ListeningLine().Match(line.Data) is { Success: true } match)
                listening.TrySetResult(new Uri(match.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            using var certificate = X509CertificateLoader.LoadCertificateFromFile(
                Path.Combine(dataDir, "tls", "hub.crt"));
            var clients = Enumerable.Range(0, clientCount)
                .Select(_ => HubIngest.CreateClient(address, certificate)).ToList();
            try
            {
                var key = await HubIngest.LoginAsync(clients[0], cancellationToken);
                foreach (var client in clients)
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

                var warmUp = new SyntheticEvents(clientCount * 2 * batchSize, DateTimeOffset.UtcNow)
                    .ToNdjsonBodies(batchSize);
                await HubIngest.SendAllAsync(clients, warmUp, batchSize, cancellationToken);
                process.Refresh();
                var afterWarmUp = process.WorkingSet64;

                var bodies = events.ToNdjsonBodies(batchSize);
                var samples = new List<(double Seconds, long Bytes)>();
                using var stopSampling = new CancellationTokenSource();
                var stopwatch = Stopwatch.StartNew();
                var sampler = SampleAsync(process, stopwatch, samples, stopSampling.Token);
                await HubIngest.SendAllAsync(clients, bodies, batchSize, cancellationToken);
                stopwatch.Stop();
                await stopSampling.CancelAsync();
                await sampler;
                process.Refresh();
                return new MemoryResult(events.Count / stopwatch.Elapsed.TotalSeconds, afterWarmUp,
                    process.WorkingSet64, process.PeakWorkingSet64, samples);
            }
            finally
            {
                foreach (var client in clients) client.Dispose();
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task SampleAsync(
        Process process, Stopwatch clock, List<(double Seconds, long Bytes)> samples, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(s_sampleEvery);
        try
        {
            do
            {
                process.Refresh();
                samples.Add((clock.Elapsed.TotalSeconds, process.WorkingSet64));
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
                ? self
                : "dotnet";

    [GeneratedRegex(@"Now listening on: (https://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The hub process's resident set: after warm-up, at the end, its peak, and samples over the run.</summary>
internal sealed record MemoryResult(
    double EventsPerSecond,
    long AfterWarmUpBytes,
    long EndBytes,
    long PeakBytes,
    IReadOnlyList<(double Seconds, long Bytes)> Samples);
