using System.Text.Json;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Storage.Sqlite;

// Users and tenant policy. Microsoft.Data.Sqlite begins transactions with BEGIN IMMEDIATE, so a transaction
// holds the database's write lock from its first statement: a check made inside one (the last owner, the
// expected role) cannot be invalidated by another writer before the transaction's own write.
public sealed partial class SqliteControlStore
{
    public async Task<User?> GetUserAsync(string tenantId, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadUserAsync(connection, tenantId, userId, cancellationToken);
    }

    public async Task<Page<User>> ListUsersAsync(
        string tenantId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT {UserColumns} FROM users u
            WHERE u.tenant_id = $tenant
              AND ($cursor_ms IS NULL OR (u.created_at, u.id) < ($cursor_ms, $cursor_id))
            ORDER BY u.created_at DESC, u.id DESC LIMIT $limit
            """);
        command.Parameters.AddWithValue("$tenant", tenantId);
        AddPaging(command, limit, cursor);
        var items = new List<User>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) items.Add(ReadUser(reader, 0));
        return ToPage(items, limit, u => new ListCursor(u.CreatedAt.ToUnixTimeMilliseconds(), u.Id));
    }

    public async Task<bool> CreateUserAsync(User user, AuditDraft audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (await ExistsAsync(connection, "SELECT 1 FROM users WHERE username_key = $a",
                UsernameKey(user.Username), cancellationToken))
            return false;

        await InsertUserAsync(connection, user, cancellationToken);
        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<UserChangeOutcome> ChangeUserRoleAsync(
        string tenantId,
        string userId,
        string expectedRole,
        string newRole,
        AuditDraft audit,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var user = await ReadUserAsync(connection, tenantId, userId, cancellationToken);
        if (user is null) return UserChangeOutcome.NotFound;
        if (user.Role != expectedRole) return UserChangeOutcome.RoleChanged;
        if (user.State != UserStates.Active) return UserChangeOutcome.Offboarded;
        if (newRole != Roles.Owner && await IsLastActiveOwnerAsync(connection, user, cancellationToken))
            return UserChangeOutcome.LastOwner;

        await using (var update = Command(connection,
            "UPDATE users SET role = $role WHERE tenant_id = $tenant AND id = $id"))
        {
            update.Parameters.AddWithValue("$role", newRole);
            update.Parameters.AddWithValue("$tenant", tenantId);
            update.Parameters.AddWithValue("$id", userId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return UserChangeOutcome.Changed;
    }

    public async Task<OffboardResult> OffboardUserAsync(
        string tenantId,
        string userId,
        string expectedRole,
        DateTimeOffset at,
        AuditDraft audit,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var user = await ReadUserAsync(connection, tenantId, userId, cancellationToken);
        if (user is null) return new OffboardResult(UserChangeOutcome.NotFound, 0);
        if (user.Role != expectedRole) return new OffboardResult(UserChangeOutcome.RoleChanged, 0);
        if (await IsLastActiveOwnerAsync(connection, user, cancellationToken))
            return new OffboardResult(UserChangeOutcome.LastOwner, 0);

        await using (var update = Command(connection,
            "UPDATE users SET state = $state WHERE tenant_id = $tenant AND id = $id"))
        {
            update.Parameters.AddWithValue("$state", UserStates.Offboarded);
            update.Parameters.AddWithValue("$tenant", tenantId);
            update.Parameters.AddWithValue("$id", userId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var revoked = await RevokeUserKeysAsync(connection, userId, at, cancellationToken);

        // Offboarding ends the user's console sessions in the same transaction (PRODUCT.md §3).
        await DeleteUserConsoleSessionsAsync(connection, userId, cancellationToken);
        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new OffboardResult(UserChangeOutcome.Changed, revoked);
    }

    public async Task<int?> ChangePasswordAsync(
        string tenantId,
        string userId,
        string passwordHash,
        string keepKeyId,
        DateTimeOffset at,
        AuditDraft audit,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = Command(connection, """
            UPDATE users SET password_hash = $hash WHERE tenant_id = $tenant AND id = $id AND state = $active
            """))
        {
            update.Parameters.AddWithValue("$hash", passwordHash);
            update.Parameters.AddWithValue("$tenant", tenantId);
            update.Parameters.AddWithValue("$id", userId);
            update.Parameters.AddWithValue("$active", UserStates.Active);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0) return null;
        }

        int revoked;
        await using (var revoke = Command(connection, """
            UPDATE keys SET revoked_at = $at
            WHERE tenant_id = $tenant AND user_id = $id AND is_login = 1 AND id <> $keep AND revoked_at IS NULL
            """))
        {
            revoke.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            revoke.Parameters.AddWithValue("$tenant", tenantId);
            revoke.Parameters.AddWithValue("$id", userId);
            revoke.Parameters.AddWithValue("$keep", keepKeyId);
            revoked = await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return revoked;
    }

    public async Task<Tenant?> UpdateTenantPolicyAsync(
        string tenantId,
        Func<TenantPolicy, TenantPolicy?> update,
        AuditDraft audit,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        Tenant? tenant;
        await using (var read = Command(connection, $"SELECT {TenantColumns} FROM tenants t WHERE t.id = $a"))
        {
            read.Parameters.AddWithValue("$a", tenantId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            tenant = await reader.ReadAsync(cancellationToken) ? ReadTenant(reader, 0) : null;
        }

        if (tenant is null || update(tenant.Policy) is not { } policy) return tenant;

        await using (var write = Command(connection, "UPDATE tenants SET policy = $policy WHERE id = $id"))
        {
            write.Parameters.AddWithValue("$policy", JsonSerializer.Serialize(policy, s_json));
            write.Parameters.AddWithValue("$id", tenantId);
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return tenant with { Policy = policy };
    }

    private static async Task<User?> ReadUserAsync(
        SqliteConnection connection, string tenantId, string userId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection,
            $"SELECT {UserColumns} FROM users u WHERE u.tenant_id = $tenant AND u.id = $id");
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUser(reader, 0) : null;
    }

    /// <summary>True when <paramref name="user"/> is an active owner and no other active owner exists.</summary>
    private static async Task<bool> IsLastActiveOwnerAsync(
        SqliteConnection connection, User user, CancellationToken cancellationToken)
    {
        if (user.Role != Roles.Owner || user.State != UserStates.Active) return false;

        await using var command = Command(connection, """
            SELECT COUNT(*) FROM users WHERE tenant_id = $tenant AND role = $owner AND state = $active
            """);
        command.Parameters.AddWithValue("$tenant", user.TenantId);
        command.Parameters.AddWithValue("$owner", Roles.Owner);
        command.Parameters.AddWithValue("$active", UserStates.Active);
        var owners = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken),
            System.Globalization.CultureInfo.InvariantCulture);
        return owners <= 1;
    }

    /// <summary>Revokes every key the user still holds (offboarding, a password reset); a user's keys are all of
    /// the user's own tenant, so the user id alone scopes them.</summary>
    private static async Task<int> RevokeUserKeysAsync(
        SqliteConnection connection, string userId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var revoke = Command(connection,
            "UPDATE keys SET revoked_at = $at WHERE user_id = $user AND revoked_at IS NULL");
        revoke.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        revoke.Parameters.AddWithValue("$user", userId);
        return await revoke.ExecuteNonQueryAsync(cancellationToken);
    }
}
