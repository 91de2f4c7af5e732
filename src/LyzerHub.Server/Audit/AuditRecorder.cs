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
    private Generation _current = new();
    private long _dropped;

    /// <summary>Occurrences refused because too many groups were pending; reset by <see cref="Drain()"/>.</summary>
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
    public IReadOnlyList<AuditDraft> Drain() => Drain(DateTimeOffset.MaxValue, out _);

    /// <summary>
    /// Takes the groups of minutes that ended by <paramref name="endedBy"/>, as entries to append; the groups of
    /// minutes still running stay, to go on counting, so one key's refusals in one minute make one entry however
    /// many drains the minute spans. <paramref name="dropped"/> is what the bound refused since the last drain.
    /// </summary>
    public IReadOnlyList<AuditDraft> Drain(DateTimeOffset endedBy, out long dropped)
    {
        lock (_drainLock)
        {
            var drained = Interlocked.Exchange(ref _current, new Generation());
            // A recorder that entered the generation before the swap may still be adding to it: wait the few
            // instructions it needs, so every occurrence is taken exactly once, never left behind or lost.
            var spin = new SpinWait();
            while (Volatile.Read(ref drained.Writers) != 0) spin.SpinOnce();

            dropped = Interlocked.Exchange(ref _dropped, 0);
            var drafts = new List<AuditDraft>(drained.Groups.Count);
            foreach (var (key, group) in drained.Groups)
            {
                var draft = group.First with { Count = group.Count };
                if (draft.At.AddMinutes(1) <= endedBy) drafts.Add(draft);
                else Keep(key, draft);
            }

            return drafts;
        }
    }

    /// <summary>Takes back drained entries whose write failed, so the next drain offers them again.</summary>
    public void Return(IEnumerable<AuditDraft> drafts)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        foreach (var draft in drafts)
        {
            var minute = draft.At.ToUnixTimeMilliseconds() / 60_000;
            Keep(new GroupKey(draft.TenantId, draft.ActorKeyId ?? draft.ClientAddress ?? "", draft.Action,
                draft.Target, minute), draft);
        }
    }

    private void Record(HttpContext context, string? tenantId, string action, string? target, string outcome)
    {
        var actor = AuditActor.FromRequest(context);
        var now = time.GetUtcNow();
        var minute = now.ToUnixTimeMilliseconds() / 60_000;
        // Per key when a key was checked, per client address otherwise (PRODUCT.md §4.6).
        var key = new GroupKey(tenantId, actor.KeyId ?? actor.ClientAddress ?? "", action, target, minute);
        var generation = Enter();
        try
        {
            if (!generation.Groups.TryGetValue(key, out var group))
            {
                if (Volatile.Read(ref generation.GroupCount) >= options.Value.MaxPendingGroups)
                {
                    // Known gap: past the bound new groups are only counted (and logged at the next flush) —
                    // folding them into one per (tenant, action, minute) would keep their count in the trail.
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                var start = DateTimeOffset.FromUnixTimeMilliseconds(minute * 60_000);
                group = Open(generation, key, actor.Draft(start, tenantId, action, target, outcome));
            }

            Interlocked.Increment(ref group.Count);
        }
        finally
        {
            Interlocked.Decrement(ref generation.Writers);
        }
    }

    /// <summary>Adds a group taken out of a drain back into the current generation (outside the bound).</summary>
    private void Keep(GroupKey key, AuditDraft draft)
    {
        var generation = Enter();
        try
        {
            var group = Open(generation, key, draft with { Count = 0 });
            Interlocked.Add(ref group.Count, draft.Count);
        }
        finally
        {
            Interlocked.Decrement(ref generation.Writers);
        }
    }

    private static Group Open(Generation generation, GroupKey key, AuditDraft first)
    {
        var opened = new Group(first);
        var group = generation.Groups.GetOrAdd(key, opened);
        if (ReferenceEquals(group, opened)) Interlocked.Increment(ref generation.GroupCount);
        return group;
    }

    /// <summary>
    /// Joins the current generation as a writer. The increment comes before the second read and the drain's swap
    /// before its read of the writers (both full fences), so either this sees the swap and moves on to the new
    /// generation, or the drain sees this writer and waits for it.
    /// </summary>
    private Generation Enter()
    {
        while (true)
        {
            var generation = Volatile.Read(ref _current);
            Interlocked.Increment(ref generation.Writers);
            if (ReferenceEquals(generation, Volatile.Read(ref _current))) return generation;
            Interlocked.Decrement(ref generation.Writers);
        }
    }

    private readonly record struct GroupKey(string? TenantId, string Who, string Action, string? Target, long Minute);

    /// <summary>What is counted between two drains, and how many recorders are adding to it right now.</summary>
    private sealed class Generation
    {
        public readonly ConcurrentDictionary<GroupKey, Group> Groups = new();
        public int Writers;

        // ConcurrentDictionary.Count takes every bucket lock, too dear for a flood of first occurrences.
        public int GroupCount;
    }

    /// <summary>The first occurrence (its user agent and request id stand for the group) and the count.</summary>
    private sealed class Group(AuditDraft first)
    {
        public readonly AuditDraft First = first;
        public long Count;
    }
}
