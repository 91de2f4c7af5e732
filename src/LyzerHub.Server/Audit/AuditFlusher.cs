using LyzerHub.Server.Storage;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Audit;

/// <summary>
/// Writes the <see cref="AuditRecorder"/>'s groups every <see cref="AuditOptions.FlushSeconds"/> in one store
/// transaction, and once more at shutdown; and applies retention once a day, from the first tick on (not at
/// start: hosted services start before the store's schema is made).
/// </summary>
public sealed class AuditFlusher(
    AuditRecorder recorder,
    IControlStore store,
    TimeProvider time,
    IOptions<AuditOptions> options,
    ILogger<AuditFlusher> logger) : BackgroundService
{
    private static readonly TimeSpan s_retentionEvery = TimeSpan.FromDays(1);

    private readonly SemaphoreSlim _flushing = new(1, 1);
    private DateTimeOffset _lastRetention = DateTimeOffset.MinValue;

    /// <summary>Writes everything recorded so far (at shutdown, and for tests); returns how many entries.</summary>
    public Task<int> FlushAsync(CancellationToken cancellationToken) => FlushAsync(false, cancellationToken);

    /// <summary>
    /// Writes the groups recorded so far, or with <paramref name="endedMinutesOnly"/> only those of minutes that
    /// have ended, keeping the current minute's to merge with what it still counts. Returns how many entries.
    /// </summary>
    public async Task<int> FlushAsync(bool endedMinutesOnly, CancellationToken cancellationToken)
    {
        // One flush at a time, so two batches never interleave their drain and write.
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var drafts = recorder.Drain(endedMinutesOnly ? time.GetUtcNow() : DateTimeOffset.MaxValue, out var dropped);
            if (dropped > 0) AuditLog.GroupsDropped(logger, dropped, options.Value.MaxPendingGroups);
            if (drafts.Count == 0) return 0;

            try
            {
                await store.AppendAuditAsync(drafts, cancellationToken);
            }
            catch
            {
                recorder.Return(drafts); // offered again at the next flush
                throw;
            }

            AuditLog.Flushed(logger, drafts.Count);
            return drafts.Count;
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Removes entries older than the retention period behind a checkpoint; returns how many.</summary>
    public async Task<int> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var removed = await store.RemoveAuditBeforeAsync(now.AddDays(-options.Value.RetentionDays), now,
            cancellationToken);
        _lastRetention = now;
        if (removed > 0) AuditLog.RetentionApplied(logger, removed, options.Value.RetentionDays);
        return removed;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What the last period recorded would otherwise be lost with the process.
        await RunSafelyAsync(FlushAsync, cancellationToken);
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.FlushSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunSafelyAsync(ct => FlushAsync(endedMinutesOnly: true, ct), stoppingToken);
                if (time.GetUtcNow() - _lastRetention >= s_retentionEvery)
                    await RunSafelyAsync(ApplyRetentionAsync, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; StopAsync writes the rest.
        }
    }

    private async Task RunSafelyAsync(Func<CancellationToken, Task<int>> work, CancellationToken cancellationToken)
    {
        try
        {
            await work(cancellationToken);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or TimeoutException)
        {
            // The recorder has the batch back and offers it again next period.
            AuditLog.WriteFailed(logger, e);
        }
    }
}
