using LyzerHub.Server.Storage;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Keys;

/// <summary>
/// Writes the counted key usage to the store every <see cref="KeysOptions.UsageFlushSeconds"/> and once more
/// at shutdown, so usage costs one store transaction per period rather than a write per request.
/// </summary>
public sealed class KeyUsageFlusher(
    KeyUsageRecorder recorder,
    IControlStore store,
    TimeProvider time,
    IOptions<KeysOptions> options,
    ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _flushing = new(1, 1);

    /// <summary>Writes what has been counted so far; returns how many keys the batch carried.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        // One flush at a time: the timer's and a caller's must not interleave their drain and write.
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var usage = recorder.Drain();
            if (usage.Count == 0) return 0;

            await store.RecordKeyUsageAsync(usage, cancellationToken);
            KeysLog.UsageFlushed(logger, usage.Count, usage.Sum(u => u.Requests));
            return usage.Count;
        }
        finally
        {
            _flushing.Release();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The last period's counts would otherwise be lost with the process.
        await FlushOnceAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.UsageFlushSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushOnceAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; StopAsync writes the rest.
        }
    }

    private async Task FlushOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or TimeoutException)
        {
            // Known gap: the drained counts of a failed write are dropped (usage is advisory); re-adding them to
            // the recorder would keep them for the next period.
            KeysLog.UsageFlushFailed(logger, e);
        }
    }
}
