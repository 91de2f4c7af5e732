using System.Collections.Concurrent;
using LyzerHub.Server.Auth;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Audit;

/// <summary>
/// Records the high-volume audit kinds (<c>auth.login_failed</c>, <c>auth.login_throttled</c>,
/// <c>permission.denied</c>, <c>rate_limit.exceeded</c>) without touching the store: occurrences are counted in
/// memory per (tenant, key or client address, action, target, minute) and the <see cref="AuditFlusher"/> writes
/// one entry per group, with its count, in batches. Recording an occurrence of a group already seen is a lookup
/// and an interlocked add; the first occurrence also allocates its group.
/// </summary>
/// <remarks>This is the API the rate-limit work calls: <see cref="RecordRateLimitExceeded"/>.</remarks>
// Known gap: groups live in this node's memory, so with several nodes each writes its own count for the same
// (key, minute) — nothing is lost, but one burst can show as one entry per node; a shared counter would merge them.
public sealed class AuditRecorder(TimeProvider time, IOptions<AuditOptions> options)
{
    private readonly Lock _drainLock = new();
    private ConcurrentDictionary<GroupKey, Group> _groups = new();
    private ConcurrentDictionary<GroupKey, Group>? _previous;
    private long _dropped;

    // Groups opened since the last drain. ConcurrentDictionary.Count takes every bucket lock, too dear for a flood of
    // first occurrences; this counter may run a few ahead around a drain, which only makes the bound a bit stricter.
    private int _groupCount;

    /// <summary>Occurrences refused because too many groups were pending; reset by <see cref="Drain"/>.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A request refused by a rate limit; <paramref name="policy"/> names the limit (key, tenant).</summary>
    public void RecordRateLimitExceeded(HttpContext context, string policy)
    {
        ArgumentNullException.ThrowIfNull(context);
        Record(context, context.User.FindFirst(HubClaims.TenantId)?.Value, AuditActions.RateLimitExceeded, policy,
            AuditOutcomes.Denied);
    }

    /// <summary>A valid key refused for lacking <paramref name="permission"/>.</summary>
    public void RecordPermissionDenied(HttpContext context, string permission)
    {
        ArgumentNullException.ThrowIfNull(context);
        Record(context, context.User.FindFirst(HubClaims.TenantId)?.Value, AuditActions.PermissionDenied, permission,
            AuditOutcomes.Denied);
    }

    /// <summary>
    /// A wrong password, unknown or inactive user. A known user's failure goes to their tenant's chain with the
    /// user as target; an unknown username goes to the hub's chain with no target (what was typed is never kept:
    /// people type passwords into username fields).
    /// </summary>
    public void RecordLoginFailed(HttpContext context, string? tenantId, string? userId) =>
        Record(context, tenantId, AuditActions.LoginFailed, userId, AuditOutcomes.Failure);

    /// <summary>
    /// A login refused by the failure throttle. The throttle answers before any user is looked up (so throttled
    /// attempts cost nothing), hence the hub's chain and no target.
    /// </summary>
    public void RecordLoginThrottled(HttpContext context) =>
        Record(context, null, AuditActions.LoginThrottled, null, AuditOutcomes.Denied);

    /// <summary>Takes every group counted since the last drain, as entries to append.</summary>
    public IReadOnlyList<AuditDraft> Drain()
    {
        lock (_drainLock)
        {
            var drafts = new List<AuditDraft>();
            // A recorder may still have been adding to a group of the previous generation as it was swapped out:
            // its late counts are taken now, a period later, rather than lost.
            if (_previous is { } previous) Take(previous, drafts);
            _previous = Interlocked.Exchange(ref _groups, new ConcurrentDictionary<GroupKey, Group>());
            Interlocked.Exchange(ref _groupCount, 0);
            Take(_previous, drafts);
            Interlocked.Exchange(ref _dropped, 0);
            return drafts;
        }
    }

    private void Record(HttpContext context, string? tenantId, string action, string? target, string outcome)
    {
        var actor = AuditActor.FromRequest(context);
        var now = time.GetUtcNow();
        var minute = now.ToUnixTimeMilliseconds() / 60_000;
        // Per key when a key was checked, per client address otherwise (PRODUCT.md §4.6).
        var key = new GroupKey(tenantId, actor.KeyId ?? actor.ClientAddress ?? "", action, target, minute);
        var groups = Volatile.Read(ref _groups);
        if (!groups.TryGetValue(key, out var group))
        {
            if (Volatile.Read(ref _groupCount) >= options.Value.MaxPendingGroups)
            {
                // Known gap: past the bound new groups are only counted (and logged at the next flush) — folding
                // them into one per (tenant, action, minute) would keep their count in the trail.
                Interlocked.Increment(ref _dropped);
                return;
            }

            var start = DateTimeOffset.FromUnixTimeMilliseconds(minute * 60_000);
            var opened = new Group(actor.Draft(start, tenantId, action, target, outcome));
            if (groups.TryAdd(key, opened))
            {
                Interlocked.Increment(ref _groupCount);
                group = opened;
            }
            else
            {
                group = groups[key]; // another request opened it first; groups leave only by a swap, never alone
            }
        }

        Interlocked.Increment(ref group.Count);
    }

    private static void Take(ConcurrentDictionary<GroupKey, Group> groups, List<AuditDraft> drafts)
    {
        foreach (var (_, group) in groups)
        {
            var count = Interlocked.Exchange(ref group.Count, 0);
            if (count > 0) drafts.Add(group.First with { Count = count });
        }
    }

    private readonly record struct GroupKey(string? TenantId, string Who, string Action, string? Target, long Minute);

    /// <summary>The first occurrence (its user agent and request id stand for the group) and the count.</summary>
    private sealed class Group(AuditDraft first)
    {
        public readonly AuditDraft First = first;
        public long Count;
    }
}
