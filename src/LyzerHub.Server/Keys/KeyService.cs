using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Keys;

/// <summary>A key just issued: its record and the plain key, which exists only in this answer.</summary>
public sealed record IssuedKey(KeyRecord Record, string PlainKey);

/// <summary>A key just rolled: its new secret, and when the previous secret stops working.</summary>
public sealed record RolledKey(IssuedKey Issued, DateTimeOffset PreviousSecretValidUntil);

/// <summary>Issues, checks and revokes keys; the one place that decides whether a key is active.</summary>
public sealed class KeyService(IControlStore store, KeyCache cache, TimeProvider time)
{
    /// <summary>Issues a key; <paramref name="lifetime"/> null means it never expires.</summary>
    public Task<IssuedKey> IssueAsync(
        User user,
        string name,
        IReadOnlyList<string> permissions,
        TimeSpan? lifetime,
        bool isLoginKey,
        AuditActor actor,
        CancellationToken cancellationToken) =>
        IssueAsync(user, name, permissions, lifetime, isLoginKey, rateLimit: null, actor, cancellationToken);

    /// <summary>
    /// Issues a key with its own rate limit (null: the tenant's default applies). A login key is recorded as
    /// <c>auth.login</c> by its user, targeting the new key; any other as <c>key.created</c> by
    /// <paramref name="actor"/>. Either entry is written in the key's own transaction.
    /// </summary>
    public async Task<IssuedKey> IssueAsync(
        User user,
        string name,
        IReadOnlyList<string> permissions,
        TimeSpan? lifetime,
        bool isLoginKey,
        KeyRateLimit? rateLimit,
        AuditActor actor,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var plain = KeyFormat.Generate();
        // Whole seconds: the record, the login answer and every later read show the very same instants.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var record = new KeyRecord(
            Ids.NewKeyId(), user.TenantId, user.Id, name, KeyFormat.StartOf(plain),
            Permissions.Normalize(permissions), isLoginKey, now, now + lifetime,
            RevokedAt: null, LastUsedAt: null, RequestCount: 0, rateLimit);
        var audit = isLoginKey
            ? actor.As(user.Id).Draft(now, user.TenantId, AuditActions.Login, record.Id)
            : actor.Draft(now, user.TenantId, AuditActions.KeyCreated, record.Id, detail: $"name: {name}");
        await store.InsertKeyAsync(new NewKey(record, KeyFormat.Hash(plain)), audit, cancellationToken);
        return new IssuedKey(record, plain);
    }

    /// <summary>
    /// The active grant for a presented key, or null. Unknown, malformed, bad-checksum, expired, revoked and
    /// offboarded keys all end here as null, so callers cannot answer them differently.
    /// </summary>
    /// <remarks>
    /// A cache hit completes synchronously and allocates nothing. It skips the checksum: only keys that passed it
    /// (and were found in the store) are ever cached, and equal hashes mean equal keys.
    /// </remarks>
    public async ValueTask<CachedGrant?> FindActiveAsync(
        ReadOnlyMemory<char> presentedKey, CancellationToken cancellationToken)
    {
        if (!KeyFormat.HasKeyShape(presentedKey.Span)) return null;

        var hash = KeyFormat.Hash(presentedKey.Span);
        var now = time.GetUtcNow();
        if (!cache.TryGet(hash, now, out var cached))
        {
            // The checksum refuses a made-up or mistyped key before it costs a store read.
            if (!KeyFormat.IsWellFormed(presentedKey.Span)) return null;

            var generation = cache.Generation;
            var grant = await store.FindKeyBySecretAsync(hash, cancellationToken);
            if (grant is null) return null;
            cached = ToCached(grant, now);
            cache.Put(hash, cached, generation);
        }

        return IsActive(cached, now) ? cached : null;
    }

    /// <summary>
    /// Answers a key check without the store when it can: true for a cache hit (<paramref name="active"/> is the
    /// grant, or null when it is no longer active) and for a key whose shape or checksum is wrong (null); false
    /// when only <see cref="FindActiveAsync"/> can tell. Lets a caller decide whether a store read is affordable.
    /// </summary>
    public bool TryFindWithoutStore(ReadOnlySpan<char> presentedKey, out CachedGrant? active)
    {
        active = null;
        if (!KeyFormat.HasKeyShape(presentedKey)) return true;

        var now = time.GetUtcNow();
        if (!cache.TryGet(KeyFormat.Hash(presentedKey), now, out var cached))
            return !KeyFormat.IsWellFormed(presentedKey);

        active = IsActive(cached, now) ? cached : null;
        return true;
    }

    /// <summary>Revokes a key of the tenant; true when it exists there (revoked now or before).</summary>
    public async Task<bool> RevokeAsync(
        string tenantId, string keyId, AuditActor actor, CancellationToken cancellationToken)
    {
        var key = await store.GetKeyAsync(tenantId, keyId, cancellationToken);
        if (key is null) return false;

        var now = time.GetUtcNow();
        await store.RevokeKeyAsync(tenantId, keyId, now,
            actor.Draft(now, tenantId, AuditActions.KeyRevoked, keyId), cancellationToken);
        cache.InvalidateKey(keyId);
        return true;
    }

    /// <summary>
    /// Revokes whatever key the plain secret belongs to, in any tenant: holding a key is the right to end it.
    /// </summary>
    public async Task RevokeBySecretAsync(string presentedKey, AuditActor actor, CancellationToken cancellationToken)
    {
        if (!KeyFormat.IsWellFormed(presentedKey)) return;

        var grant = await store.FindKeyBySecretAsync(KeyFormat.Hash(presentedKey), cancellationToken);
        if (grant is null) return;

        var now = time.GetUtcNow();
        await store.RevokeKeyAsync(grant.Key.TenantId, grant.Key.Id, now,
            actor.Draft(now, grant.Key.TenantId, AuditActions.KeyRevoked, grant.Key.Id,
                detail: "by possession of the secret"), cancellationToken);
        cache.InvalidateKey(grant.Key.Id);
    }

    /// <summary>
    /// Gives the key a new secret. The previous one keeps working for <paramref name="grace"/>, never past the
    /// key's own expiry; a grace an earlier roll left running ends now. Null when the key was revoked meanwhile.
    /// </summary>
    public async Task<RolledKey?> RollAsync(
        KeyRecord key, TimeSpan grace, AuditActor actor, CancellationToken cancellationToken)
    {
        var plain = KeyFormat.Generate();
        var now = time.GetUtcNow();
        var graceEnd = now + grace;
        if (key.ExpiresAt is { } expiresAt && expiresAt < graceEnd) graceEnd = expiresAt < now ? now : expiresAt;

        var audit = actor.Draft(now, key.TenantId, AuditActions.KeyRolled, key.Id,
            detail: $"previous secret valid until {graceEnd:O}");
        var rolled = await store.RollKeyAsync(new KeyRoll(key.TenantId, key.Id, key.UserId, KeyFormat.Hash(plain),
            KeyFormat.StartOf(plain), now, graceEnd), audit, cancellationToken);
        // Cached grants of the old secret carry no end yet: drop them so the next check reads valid_until.
        cache.InvalidateKey(key.Id);
        return rolled is null ? null : new RolledKey(new IssuedKey(rolled, plain), graceEnd);
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
