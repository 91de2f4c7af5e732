using System.Collections.Concurrent;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Keys;

/// <summary>A key check's result as the cache keeps it: the grant plus what every request needs, precomputed.</summary>
public sealed record CachedGrant(
    KeyGrant Grant,
    IReadOnlyList<string> EffectivePermissions,
    DateTimeOffset? ValidUntil,
    bool UserActive,
    DateTimeOffset CachedAt);

/// <summary>
/// In-process cache of key checks by secret hash, so a hit costs a SHA-256 and a dictionary probe, no store
/// read. Revocation removes entries on this node at once; a generation counter stops a read that raced a
/// revocation from putting the stale grant back. Entries also age out, which bounds how long a change made by
/// another process could go unseen.
/// </summary>
public sealed class KeyCache
{
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<KeyHash, CachedGrant> _entries = new();
    private readonly Lock _writeLock = new();
    private long _generation;

    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(KeyHash hash, DateTimeOffset now, out CachedGrant grant)
    {
        if (_entries.TryGetValue(hash, out grant!) && now - grant.CachedAt < EntryLifetime) return true;
        grant = null!;
        return false;
    }

    /// <summary>
    /// Stores a grant read at <paramref name="generationBeforeRead"/>, unless an invalidation came since.
    /// </summary>
    public void Put(KeyHash hash, CachedGrant grant, long generationBeforeRead)
    {
        // Under the lock, "check the generation, then write" cannot interleave with an invalidation. Writing
        // first and removing on a changed generation left a moment in which a request that began after the
        // revocation returned could still read the stale grant. Only misses take this lock; hits never do.
        lock (_writeLock)
        {
            if (_generation == generationBeforeRead) _entries[hash] = grant;
        }
    }

    public void InvalidateKey(string keyId) => Invalidate(grant => grant.Grant.Key.Id == keyId);

    public void InvalidateUser(string userId) => Invalidate(grant => grant.Grant.User.Id == userId);

    /// <summary>
    /// Drops every grant of the tenant: a policy change alters when its keys end, and grants carry the policy.
    /// </summary>
    public void InvalidateTenant(string tenantId) => Invalidate(grant => grant.Grant.Tenant.Id == tenantId);

    private void Invalidate(Func<CachedGrant, bool> matches)
    {
        lock (_writeLock)
        {
            Interlocked.Increment(ref _generation);
            foreach (var (hash, grant) in _entries)
            {
                if (matches(grant)) _entries.TryRemove(hash, out _);
            }
        }
    }
}
