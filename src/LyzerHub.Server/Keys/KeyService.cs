using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Keys;

/// <summary>A key just issued: its record and the plain key, which exists only in this answer.</summary>
public sealed record IssuedKey(KeyRecord Record, string PlainKey);

/// <summary>Issues, checks and revokes keys; the one place that decides whether a key is active.</summary>
public sealed class KeyService(IControlStore store, KeyCache cache, TimeProvider time)
{
    /// <summary>Issues a key; <paramref name="lifetime"/> null means it never expires.</summary>
    public async Task<IssuedKey> IssueAsync(
        User user,
        string name,
        IReadOnlyList<string> permissions,
        TimeSpan? lifetime,
        bool isLoginKey,
        CancellationToken cancellationToken)
    {
        var plain = KeyFormat.Generate();
        // Whole seconds: the record, the login answer and every later read show the very same instants.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var record = new KeyRecord(
            Ids.NewKeyId(), user.TenantId, user.Id, name, KeyFormat.StartOf(plain),
            Permissions.Normalize(permissions), isLoginKey, now, now + lifetime,
            RevokedAt: null, LastUsedAt: null, RequestCount: 0);
        await store.InsertKeyAsync(new NewKey(record, KeyFormat.Hash(plain)), cancellationToken);
        return new IssuedKey(record, plain);
    }

    /// <summary>
    /// The active grant for a presented key, or null. Unknown, malformed, bad-checksum, expired, revoked and
    /// offboarded keys all end here as null, so callers cannot answer them differently.
    /// </summary>
    /// <remarks>A cache hit completes synchronously and allocates nothing.</remarks>
    public async ValueTask<CachedGrant?> FindActiveAsync(
        ReadOnlyMemory<char> presentedKey, CancellationToken cancellationToken)
    {
        if (!KeyFormat.IsWellFormed(presentedKey.Span)) return null;

        var hash = KeyFormat.Hash(presentedKey.Span);
        var now = time.GetUtcNow();
        if (!cache.TryGet(hash, now, out var cached))
        {
            var generation = cache.Generation;
            var grant = await store.FindKeyBySecretAsync(hash, cancellationToken);
            if (grant is null) return null;
            cached = ToCached(grant, now);
            cache.Put(hash, cached, generation);
        }

        return IsActive(cached, now) ? cached : null;
    }

    /// <summary>Revokes a key of the tenant; true when it exists there (revoked now or before).</summary>
    public async Task<bool> RevokeAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        var key = await store.GetKeyAsync(tenantId, keyId, cancellationToken);
        if (key is null) return false;

        await store.RevokeKeyAsync(tenantId, keyId, time.GetUtcNow(), cancellationToken);
        cache.InvalidateKey(keyId);
        return true;
    }

    /// <summary>
    /// Revokes whatever key the plain secret belongs to, in any tenant: holding a key is the right to end it.
    /// </summary>
    public async Task RevokeBySecretAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (!KeyFormat.IsWellFormed(presentedKey)) return;

        var grant = await store.FindKeyBySecretAsync(KeyFormat.Hash(presentedKey), cancellationToken);
        if (grant is null) return;

        await store.RevokeKeyAsync(grant.Key.TenantId, grant.Key.Id, time.GetUtcNow(), cancellationToken);
        cache.InvalidateKey(grant.Key.Id);
    }

    /// <summary>
    /// The key's status as its record shows it (PRODUCT.md §4.3), applying the tenant's current policy.
    /// </summary>
    public string StatusOf(KeyRecord key, TenantPolicy policy)
    {
        if (key.RevokedAt is not null) return KeyStatuses.Revoked;
        var validUntil = EffectiveExpiry(key, policy);
        return validUntil is { } end && time.GetUtcNow() >= end ? KeyStatuses.Expired : KeyStatuses.Active;
    }

    /// <summary>
    /// The key's end under the tenant's policy now: its own expiry, shortened by a tightened maximum lifetime,
    /// and bounded by the maximum when non-expiring keys are not allowed.
    /// </summary>
    public static DateTimeOffset? EffectiveExpiry(KeyRecord key, TenantPolicy policy)
    {
        var policyEnd = key.CreatedAt.AddSeconds(policy.MaxKeyLifetimeSeconds);
        if (key.ExpiresAt is null) return policy.AllowNonExpiringKeys ? null : policyEnd;
        return key.ExpiresAt < policyEnd ? key.ExpiresAt : policyEnd;
    }

    private static CachedGrant ToCached(KeyGrant grant, DateTimeOffset now)
    {
        var allowed = Roles.Allowed(grant.User.Role, grant.User.IsOperator);
        var effective = grant.Key.Permissions.Where(allowed.Contains).ToArray();
        var validUntil = EffectiveExpiry(grant.Key, grant.Tenant.Policy);
        if (grant.SecretValidUntil is { } secretEnd && (validUntil is null || secretEnd < validUntil))
            validUntil = secretEnd;

        return new CachedGrant(grant, effective, validUntil, grant.User.State == UserStates.Active, now);
    }

    private static bool IsActive(CachedGrant cached, DateTimeOffset now) =>
        cached.UserActive
        && cached.Grant.Key.RevokedAt is null
        && (cached.ValidUntil is null || now < cached.ValidUntil);
}

public static class KeyStatuses
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
}
