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

    // Groups drained but not yet written: a minute's group is written once that minute has ended, so one key's
    // refusals in one minute make one entry (PRODUCT.md §4.6) however many flush periods the minute spans.
    private readonly Dictionary<HeldGroup, AuditDraft> _held = [];
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
            var dropped = recorder.Dropped;
            foreach (var draft in recorder.Drain()) Hold(draft, ref dropped);
            if (dropped > 0) AuditLog.GroupsDropped(logger, dropped, options.Value.MaxPendingGroups);

            var ended = time.GetUtcNow().AddMinutes(-1);
            var due = _held.Where(held => !endedMinutesOnly || held.Key.Minute <= ended).ToList();
            if (due.Count == 0) return 0;

            // A failed write leaves the groups held, so the next period tries them again.
            await store.AppendAuditAsync([.. due.Select(held => held.Value)], cancellationToken);
            foreach (var (group, _) in due) _held.Remove(group);
            AuditLog.Flushed(logger, due.Count);
            return due.Count;
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
            // The groups stay held and are tried again next period (bounded by MaxPendingGroups).
            AuditLog.WriteFailed(logger, e);
        }
    }

    private void Hold(AuditDraft draft, ref long dropped)
    {
        // The recorder's grouping: per key when a key was checked, per client address otherwise.
        var group = new HeldGroup(draft.TenantId, draft.ActorKeyId ?? draft.ClientAddress ?? "", draft.Action,
            draft.Target, draft.At);
        if (_held.TryGetValue(group, out var held))
        {
            _held[group] = held with { Count = held.Count + draft.Count };
        }
        else if (_held.Count >= options.Value.MaxPendingGroups)
        {
            dropped += draft.Count; // the store has been failing for a while; bounded memory wins
        }
        else
        {
            _held[group] = draft;
        }
    }

    private readonly record struct HeldGroup(
        string? TenantId, string Who, string Action, string? Target, DateTimeOffset Minute);
}
