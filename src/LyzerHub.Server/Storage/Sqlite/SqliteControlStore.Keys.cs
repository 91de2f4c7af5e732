using System.Data.Common;
using System.Text.Json;
using LyzerHub.Server.Audit;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Storage.Sqlite;

public sealed partial class SqliteControlStore
{
    public async Task<KeyRecord?> RollKeyAsync(KeyRoll roll, AuditDraft audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // Microsoft.Data.Sqlite begins IMMEDIATE by default, taking the write lock up front: two rolls of one key
        // cannot both pass the ownership check and then each leave their own unbounded secret behind.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        await using (var owned = Command(connection, """
            UPDATE keys SET start = $start
            WHERE tenant_id = $tenant AND id = $id AND user_id = $user AND revoked_at IS NULL
            """))
        {
            owned.Parameters.AddWithValue("$start", roll.NewStart);
            owned.Parameters.AddWithValue("$tenant", roll.TenantId);
            owned.Parameters.AddWithValue("$id", roll.KeyId);
            owned.Parameters.AddWithValue("$user", roll.UserId);
            if (await owned.ExecuteNonQueryAsync(cancellationToken) != 1) return null;
        }

        var at = roll.At.ToUnixTimeMilliseconds();
        // Order matters: first end what an earlier roll left in grace, then put the current secret in grace.
        await using (var endOlder = Command(connection, """
            UPDATE key_secrets SET valid_until = $at
            WHERE key_id = $id AND valid_until IS NOT NULL AND valid_until > $at
            """))
        {
            endOlder.Parameters.AddWithValue("$at", at);
            endOlder.Parameters.AddWithValue("$id", roll.KeyId);
            await endOlder.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var graceCurrent = Command(connection,
            "UPDATE key_secrets SET valid_until = $until WHERE key_id = $id AND valid_until IS NULL"))
        {
            graceCurrent.Parameters.AddWithValue("$until", roll.PreviousSecretValidUntil.ToUnixTimeMilliseconds());
            graceCurrent.Parameters.AddWithValue("$id", roll.KeyId);
            await graceCurrent.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insertSecret = Command(connection,
            "INSERT INTO key_secrets (hash, key_id, created_at) VALUES ($hash, $key, $created)"))
        {
            insertSecret.Parameters.AddWithValue("$hash", roll.NewSecretHash.ToHex());
            insertSecret.Parameters.AddWithValue("$key", roll.KeyId);
            insertSecret.Parameters.AddWithValue("$created", at);
            await insertSecret.ExecuteNonQueryAsync(cancellationToken);
        }

        KeyRecord rolled;
        await using (var read = Command(connection, $"SELECT {KeyColumns} FROM keys k WHERE k.id = $id"))
        {
            read.Parameters.AddWithValue("$id", roll.KeyId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            rolled = ReadKey(reader, 0);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return rolled;
    }

    public async Task RecordKeyUsageAsync(IReadOnlyCollection<KeyUsage> usage, CancellationToken cancellationToken)
    {
        if (usage.Count == 0) return;

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        // One prepared statement for the whole batch: a flush is one transaction however many keys it carries.
        await using var command = Command(connection, """
            UPDATE keys SET request_count = request_count + $requests,
                            last_used_at = MAX(COALESCE(last_used_at, 0), $at)
            WHERE id = $id
            """);
        var requests = command.Parameters.Add("$requests", SqliteType.Integer);
        var lastUsed = command.Parameters.Add("$at", SqliteType.Integer);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        foreach (var item in usage)
        {
            requests.Value = item.Requests;
            lastUsed.Value = item.LastUsedAt.ToUnixTimeMilliseconds();
            id.Value = item.KeyId;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Data directories made before keys had their own rate limit lack the column; CREATE TABLE IF NOT EXISTS
    /// leaves their table as it was.
    /// </summary>
    private static async Task AddKeyRateLimitColumnAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var probe = Command(connection,
            "SELECT COUNT(*) FROM pragma_table_info('keys') WHERE name = 'rate_limit'");
        if (Convert.ToInt64(await probe.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 0)
            await ExecuteAsync(connection, "ALTER TABLE keys ADD COLUMN rate_limit TEXT", ct);
    }

    private static KeyRateLimit? ReadRateLimit(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize<KeyRateLimit>(reader.GetString(ordinal), s_json);
}
