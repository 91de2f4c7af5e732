using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tenants;

namespace LyzerHub.Server.Users;

/// <summary>A user just stored (null when the username was taken) and the password the hub generated, if any.</summary>
public sealed record CreateUserResult(User? User, string? GeneratedPassword);

public enum PasswordChangeOutcome { Changed, WrongPassword, Overloaded, UserGone }

/// <summary>
/// Changes to users and tenant policy. Each store write is followed by dropping the cached key checks it affects,
/// so effective permissions, offboarding and policy hold from the very next request on this node.
/// </summary>
// Each change carries its audit entry into the store, which writes it in the change's own transaction.
public sealed class UserService(
    IControlStore store, PasswordHasher hasher, KeyCache cache, TimeProvider time, ILogger<UserService> logger)
{
    /// <summary>Creates an active user; null when no hashing slot freed up in time (answer 503).</summary>
    public async Task<CreateUserResult?> CreateAsync(
        string tenantId,
        string username,
        string role,
        string? password,
        AuditActor actor,
        CancellationToken cancellationToken)
    {
        var generated = password is null ? Passwords.Generate() : null;
        var hash = await hasher.HashAsync(password ?? generated!, cancellationToken);
        if (hash is null) return null;

        var user = new User(Ids.NewUserId(), tenantId, username, role, UserStates.Active, hash, IsOperator: false,
            WholeSeconds(time.GetUtcNow()));
        var audit = actor.Draft(user.CreatedAt, tenantId, AuditActions.UserCreated, user.Id, detail: $"role: {role}");
        if (!await store.CreateUserAsync(user, audit, cancellationToken)) return new CreateUserResult(null, null);

        Log.UserCreated(logger, user.Id, tenantId, role);
        return new CreateUserResult(user, generated);
    }

    public async Task<UserChangeOutcome> ChangeRoleAsync(
        User user, string newRole, AuditActor actor, CancellationToken cancellationToken)
    {
        var audit = actor.Draft(time.GetUtcNow(), user.TenantId, AuditActions.UserRoleChanged, user.Id,
            detail: $"role: {user.Role} -> {newRole}");
        var outcome = await store.ChangeUserRoleAsync(user.TenantId, user.Id, user.Role, newRole, audit,
            cancellationToken);
        if (outcome != UserChangeOutcome.Changed) return outcome;

        cache.InvalidateUser(user.Id);
        Log.RoleChanged(logger, user.Id, user.Role, newRole);
        return outcome;
    }

    public async Task<OffboardResult> OffboardAsync(User user, AuditActor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = await store.OffboardUserAsync(user.TenantId, user.Id, user.Role, now,
            actor.Draft(now, user.TenantId, AuditActions.UserOffboarded, user.Id), cancellationToken);
        if (result.Outcome != UserChangeOutcome.Changed) return result;

        cache.InvalidateUser(user.Id);
        Log.Offboarded(logger, user.Id, result.KeysRevoked);
        return result;
    }

    /// <summary>
    /// Verifies the current password, stores the new one and revokes the user's other login keys; named keys and
    /// the calling key stay, since they were not proven by the old password alone.
    /// </summary>
    public async Task<(PasswordChangeOutcome Outcome, int KeysRevoked)> ChangePasswordAsync(
        string tenantId,
        string userId,
        string callingKeyId,
        string currentPassword,
        string newPassword,
        AuditActor actor,
        CancellationToken cancellationToken)
    {
        var user = await store.GetUserAsync(tenantId, userId, cancellationToken);
        if (user is null || user.State != UserStates.Active) return (PasswordChangeOutcome.UserGone, 0);

        var verified = await hasher.VerifyAsync(user.PasswordHash, currentPassword, cancellationToken);
        if (verified is null) return (PasswordChangeOutcome.Overloaded, 0);
        if (verified is false)
        {
            Log.PasswordChangeRefused(logger, userId);
            return (PasswordChangeOutcome.WrongPassword, 0);
        }

        var hash = await hasher.HashAsync(newPassword, cancellationToken);
        if (hash is null) return (PasswordChangeOutcome.Overloaded, 0);

        var now = time.GetUtcNow();
        var revoked = await store.ChangePasswordAsync(tenantId, userId, hash, callingKeyId, now,
            actor.Draft(now, tenantId, AuditActions.PasswordChanged, userId), cancellationToken);
        if (revoked is null) return (PasswordChangeOutcome.UserGone, 0);

        cache.InvalidateUser(userId);
        // Console sessions were proven by the old password alone, like the login keys just revoked.
        await store.DeleteUserConsoleSessionsAsync(userId, cancellationToken);
        Log.PasswordChanged(logger, userId, revoked.Value);
        return (PasswordChangeOutcome.Changed, revoked.Value);
    }

    /// <summary>Applies a policy change (see <see cref="IControlStore.UpdateTenantPolicyAsync"/>).</summary>
    public async Task<Tenant?> UpdatePolicyAsync(
        string tenantId, string callingKeyId, Func<TenantPolicy, TenantPolicy?> update, AuditActor actor,
        CancellationToken cancellationToken)
    {
        var changed = false;
        var tenant = await store.UpdateTenantPolicyAsync(tenantId, policy =>
        {
            var updated = update(policy);
            changed = updated is not null;
            return updated;
        }, actor.Draft(time.GetUtcNow(), tenantId, AuditActions.TenantPolicyChanged, tenantId), cancellationToken);
        if (!changed) return tenant;

        // Every key check of the tenant carries the policy it was made under; the next one must see this one.
        cache.InvalidateTenant(tenantId);
        Log.PolicyChanged(logger, callingKeyId, tenantId);
        return tenant;
    }

    // Like key times: the create answer and every later list show the very same instant.
    private static DateTimeOffset WholeSeconds(DateTimeOffset at) => at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond));
}
