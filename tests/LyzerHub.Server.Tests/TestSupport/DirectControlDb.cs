using System.Text.Json;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.TestSupport;

/// <summary>
/// Arranges what the API cannot yet do, straight in a running hub's control database: add a user to a tenant
/// and change a tenant's policy. Known gap: switch to POST /v1/users and PATCH /v1/tenant once they exist.
/// </summary>
internal static class DirectControlDb
{
    /// <summary>Adds an active user with a fresh password to the tenant; returns the user's id and password.</summary>
    public static async Task<(string UserId, string Password)> AddUserAsync(
        HubHost hub, string tenantId, string username, string role)
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var hash = await hub.Services.GetRequiredService<PasswordHasher>().HashAsync(password, CancellationToken.None);
        var userId = Ids.NewUserId();
        await using var connection = Open(hub);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO users (id, tenant_id, username, username_key, role, state, password_hash, is_operator,
                               created_at)
            VALUES ($id, $tenant, $username, $key, $role, 'active', $hash, 0, $created)
            """;
        command.Parameters.AddWithValue("$id", userId);
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$username", username);
        command.Parameters.AddWithValue("$key", SqliteControlStore.UsernameKey(username));
        command.Parameters.AddWithValue("$role", role);
        command.Parameters.AddWithValue("$hash", hash!);
        command.Parameters.AddWithValue("$created", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync();
        return (userId, password);
    }

    public static async Task SetPolicyAsync(HubHost hub, string tenantId, TenantPolicy policy)
    {
        await using var connection = Open(hub);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE tenants SET policy = $policy WHERE id = $id";
        command.Parameters.AddWithValue("$policy",
            JsonSerializer.Serialize(policy, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        command.Parameters.AddWithValue("$id", tenantId);
        await command.ExecuteNonQueryAsync();
    }

    private static SqliteConnection Open(HubHost hub)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(hub.DataDir, "control.db")}");
        connection.Open();
        return connection;
    }
}
