using LyzerHub.Server.Audit;

namespace LyzerHub.Server.Storage;

/// <summary>How a change to a user (role change, offboarding) ended in the store.</summary>
public enum UserChangeOutcome
{
    Changed,

    /// <summary>No such user in that tenant (answered like an id that never existed).</summary>
    NotFound,

    /// <summary>The user is the tenant's last active owner, who must stay one.</summary>
    LastOwner,

    /// <summary>The user's role is no longer the one the caller checked its rights against.</summary>
    RoleChanged,

    /// <summary>The user is offboarded; an offboarded user's role no longer changes.</summary>
    Offboarded,
}

/// <summary>An offboarding's outcome and how many of the user's keys it revoked.</summary>
public sealed record OffboardResult(UserChangeOutcome Outcome, int KeysRevoked);

/// <summary>
/// Users and tenant policy. Every member takes the tenant id, so a user id of another tenant is simply not found.
/// Checks that guard an invariant (the last active owner, a role the caller was judged against) run in the same
/// transaction as the write, so two concurrent requests cannot both pass them.
/// </summary>
public partial interface IControlStore
{
    Task<User?> GetUserAsync(string tenantId, string userId, CancellationToken cancellationToken);

    /// <summary>A tenant's users, offboarded ones included, newest first.</summary>
    Task<Page<User>> ListUsersAsync(string tenantId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Stores a new user; false when the username is taken anywhere in the hub (case-insensitively).</summary>
    Task<bool> CreateUserAsync(User user, AuditDraft audit, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the user's role, provided it is still <paramref name="expectedRole"/>, the user is active, and the
    /// change does not leave the tenant without an active owner.
    /// </summary>
    Task<UserChangeOutcome> ChangeUserRoleAsync(
        string tenantId,
        string userId,
        string expectedRole,
        string newRole,
        AuditDraft audit,
        CancellationToken cancellationToken);

    /// <summary>
    /// Marks the user offboarded and revokes every key they hold, in one transaction, provided their role is still
    /// <paramref name="expectedRole"/> and they are not the tenant's last active owner. Offboarding an offboarded
    /// user changes nothing and succeeds (revoking whatever key might still be active).
    /// </summary>
    Task<OffboardResult> OffboardUserAsync(
        string tenantId,
        string userId,
        string expectedRole,
        DateTimeOffset at,
        AuditDraft audit,
        CancellationToken cancellationToken);

    /// <summary>
    /// Stores an active user's new password hash and revokes their login keys except <paramref name="keepKeyId"/>,
    /// in one transaction. Returns how many keys it revoked, or null when there is no such active user.
    /// </summary>
    Task<int?> ChangePasswordAsync(
        string tenantId,
        string userId,
        string passwordHash,
        string keepKeyId,
        DateTimeOffset at,
        AuditDraft audit,
        CancellationToken cancellationToken);

    /// <summary>
    /// Reads the tenant's policy and writes <c>update(policy)</c> in one transaction, so concurrent changes of
    /// different fields do not undo each other. When <paramref name="update"/> returns null nothing is written.
    /// Returns the tenant as stored afterwards, or null when there is no such tenant. The audit entry is written
    /// only when the policy was written.
    /// </summary>
    Task<Tenant?> UpdateTenantPolicyAsync(
        string tenantId,
        Func<TenantPolicy, TenantPolicy?> update,
        AuditDraft audit,
        CancellationToken cancellationToken);
}
