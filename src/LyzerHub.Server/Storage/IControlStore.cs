using LyzerHub.Server.Audit;
using LyzerHub.Server.Keys;

namespace LyzerHub.Server.Storage;

/// <summary>
/// Tenants, users and keys. The embedded implementation is SQLite; a PostgreSQL one comes with the scale-out
/// work and must pass the same contract tests (<c>ControlStoreContractTests</c>). Every read of a tenant's
/// resource takes the tenant id, so no query can cross tenants by forgetting a filter.
/// </summary>
public partial interface IControlStore
{
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    Task<bool> HasAnyTenantAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates the tenant and its first user together, or neither, with their audit entries (<c>tenant.created</c>
    /// in the hub's chain, <c>user.created</c> in the tenant's).
    /// </summary>
    Task<CreateTenantOutcome> CreateTenantAsync(
        Tenant tenant, User owner, IReadOnlyList<AuditDraft> audit, CancellationToken cancellationToken);

    Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken cancellationToken);

    Task<Page<Tenant>> ListTenantsAsync(int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Finds a user by username, compared case-insensitively across the hub.</summary>
    Task<User?> FindUserByUsernameAsync(string username, CancellationToken cancellationToken);

    Task<User?> FindOperatorAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sets a user's password hash, revokes every key they hold and ends their console sessions, in one
    /// transaction (the operator's <c>reset-admin-password</c>); returns how many keys it revoked.
    /// </summary>
    Task<int> ResetPasswordAsync(
        string userId, string passwordHash, DateTimeOffset at, AuditDraft audit, CancellationToken cancellationToken);

    Task InsertKeyAsync(NewKey key, AuditDraft audit, CancellationToken cancellationToken);

    /// <summary>The key whose secret hashes to <paramref name="hash"/>, whatever its state; null when none.</summary>
    Task<KeyGrant?> FindKeyBySecretAsync(KeyHash hash, CancellationToken cancellationToken);

    Task<KeyRecord?> GetKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken);

    /// <summary>
    /// A tenant's keys, newest first; only those neither revoked nor expired at <paramref name="now"/> unless
    /// <paramref name="includeInactive"/>; only one user's when <paramref name="userId"/> is set.
    /// </summary>
    Task<Page<KeyRecord>> ListKeysAsync(
        string tenantId,
        string? userId,
        bool includeInactive,
        DateTimeOffset now,
        int limit,
        string? cursor,
        CancellationToken cancellationToken);

    /// <summary>
    /// Revokes a key (every secret of it). True when this call revoked it, false when it already was; the audit
    /// entry is written only when this call revoked it, so revoking twice leaves one <c>key.revoked</c>.
    /// </summary>
    Task<bool> RevokeKeyAsync(
        string tenantId, string keyId, DateTimeOffset at, AuditDraft audit, CancellationToken cancellationToken);
}
