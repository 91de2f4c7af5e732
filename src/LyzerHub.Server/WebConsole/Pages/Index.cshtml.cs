using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>One event name's count since midnight UTC.</summary>
public sealed record EventsToday(string Name, long Count);

/// <summary>
/// The tenant at a glance: events since midnight UTC (per event name, through the metrics store), keys in use
/// (the tenant's with <c>manage:keys</c>, else the user's own), and the newest audit entries (<c>read:audit</c>).
/// </summary>
public sealed class IndexModel(IControlStore controlStore, IEventStore eventStore, KeyService keys, TimeProvider time)
    : ConsolePage
{
    // Keys and event names counted at most; a tenant beyond this sees "more than" rather than a slow page.
    public const int CountLimit = 1000;

    public const int RecentAuditEntries = 10;

    public IReadOnlyList<EventsToday> Today { get; private set; } = [];

    public long EventsTodayTotal => Today.Sum(e => e.Count);

    public int ActiveKeys { get; private set; }

    public int KeysUsedToday { get; private set; }

    public bool MoreKeys { get; private set; }

    public bool TenantWide => User.HasPermission(Permissions.ManageKeys);

    public DateTimeOffset Midnight { get; private set; }

    /// <summary>Null when the user's role may not read the audit trail.</summary>
    public IReadOnlyList<AuditEntry>? RecentAudit { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var tenantId = Session.Tenant.Id;

        // Only names seen today can have events today; each costs one count query over today's range.
        var names = await eventStore.ListEventNamesAsync(tenantId, cancellationToken);
        var today = new List<EventsToday>();
        foreach (var name in names.Where(n => n.LastSeen >= Midnight).Take(CountLimit))
        {
            var query = new MetricQuery(name.Name, Measure.Count, null, Midnight, Midnight.AddDays(1),
                MetricInterval.None, TimeZoneInfo.Utc, [], null, 1);
            var result = await eventStore.QueryAsync(tenantId, query, cancellationToken);
            var count = (long)(result.Series.FirstOrDefault()?.Total ?? 0);
            if (count > 0) today.Add(new EventsToday(name.Name, count));
        }

        Today = today.OrderByDescending(e => e.Count).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();

        var page = await controlStore.ListKeysAsync(tenantId, TenantWide ? null : Session.User.Id,
            includeInactive: false, now, CountLimit, null, cancellationToken);
        var active = page.Items.Where(k => keys.StatusOf(k, Session.Tenant.Policy) == KeyStatuses.Active).ToArray();
        ActiveKeys = active.Length;
        KeysUsedToday = active.Count(k => k.LastUsedAt >= Midnight);
        MoreKeys = page.NextCursor is not null;

        if (User.HasPermission(Permissions.ReadAudit))
        {
            RecentAudit = (await controlStore.ListAuditAsync(AuditChains.Of(tenantId), new AuditQuery(),
                RecentAuditEntries, null, cancellationToken)).Items;
        }
    }
}
