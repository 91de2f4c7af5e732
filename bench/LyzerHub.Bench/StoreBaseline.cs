using System.Diagnostics;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Bench;

/// <summary>
/// The baseline: the events appended straight into a fresh <see cref="DuckDbEventStore"/>, one append per batch of
/// 1,000, which is what the hub's writer does when it has nothing to coalesce. No HTTP, TLS, JSON or auth.
/// </summary>
internal static class StoreBaseline
{
    private const string TenantId = "ten_bench";

    public static async Task<BaselineResult> RunAsync(
        SyntheticEvents events, int batchSize, CancellationToken cancellationToken)
    {
        using var directory = new TempDirectory("lyzer-bench-store-");
        var options = Options.Create(new HubOptions { DataDir = directory.Path });
        var store = new DuckDbEventStore(options, NullLogger<DuckDbEventStore>.Instance);
        try
        {
            await store.InitializeAsync(cancellationToken);

            // Warm-up: JIT, DuckDB's first transaction and the WAL file, on events outside the measured set.
            var receivedAt = DateTimeOffset.UtcNow;
            foreach (var batch in new SyntheticEvents(2 * batchSize, receivedAt).ToStoreBatches(
                         TenantId, batchSize, receivedAt))
            {
                await AppendAsync(store, batch, cancellationToken);
            }

            var batches = events.ToStoreBatches(TenantId, batchSize, receivedAt);
            var batchMs = new double[batches.Count];

            // CPU time of the whole process (DuckDB's threads included) moves far less than wall time when the
            // cores are shared with other work, so it is the steadier figure for comparing two versions.
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < batches.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await AppendAsync(store, batches[i], cancellationToken);
                batchMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            stopwatch.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var tenth = Math.Max(1, batches.Count / 10);
            return new BaselineResult(
                events.Count / stopwatch.Elapsed.TotalSeconds,
                1_000 * batchMs.Take(tenth).Sum() / (tenth * batchSize),
                1_000 * batchMs.TakeLast(tenth).Sum() / (tenth * batchSize),
                1_000 * cpu.TotalMilliseconds / events.Count);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private static async Task AppendAsync(
        DuckDbEventStore store, Server.Events.StoredEvent[] batch, CancellationToken cancellationToken)
    {
        var duplicates = await store.AppendAsync(batch, cancellationToken);
        if (duplicates.Length != batch.Length || duplicates.Any(d => d))
        {
            throw new InvalidOperationException(
                $"The store reported duplicates in a batch of {batch.Length} fresh events; the baseline is invalid.");
        }
    }
}

/// <summary>
/// The baseline's rate, its cost per 1,000 events over the first and last tenth of the batches, and the process's
/// CPU time per 1,000 events over the whole run.
/// </summary>
internal sealed record BaselineResult(
    double EventsPerSecond, double FirstTenthMsPerThousand, double LastTenthMsPerThousand, double CpuMsPerThousand);
