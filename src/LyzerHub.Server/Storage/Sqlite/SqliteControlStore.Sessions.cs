using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Storage.Sqlite;

public sealed partial class SqliteControlStore
{
    public async Task InsertConsoleSessionAsync(
        ConsoleSession session, Audit.AuditDraft audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = Command(connection, """
            INSERT INTO console_sessions (id_hash, user_id, created_at, expires_at, ticket)
            VALUES ($id, $user, $created, $expires, $ticket)
            """))
        {
            command.Parameters.AddWithValue("$id", session.IdHash);
            command.Parameters.AddWithValue("$user", session.UserId);
            command.Parameters.AddWithValue("$created", session.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$expires", session.ExpiresAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$ticket", session.Ticket);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<ConsoleSession?> GetConsoleSessionAsync(
        string idHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT id_hash, user_id, created_at, expires_at, ticket FROM console_sessions
            WHERE id_hash = $id AND expires_at > $now
            """);
        command.Parameters.AddWithValue("$id", idHash);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;

        return new ConsoleSession(reader.GetString(0), reader.GetString(1),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), (byte[])reader.GetValue(4));
    }

    public async Task UpdateConsoleSessionAsync(
        string idHash, DateTimeOffset expiresAt, byte[] ticket, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "UPDATE console_sessions SET expires_at = $expires, ticket = $ticket WHERE id_hash = $id");
        command.Parameters.AddWithValue("$id", idHash);
        command.Parameters.AddWithValue("$expires", expiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$ticket", ticket);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteConsoleSessionAsync(string idHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM console_sessions WHERE id_hash = $id");
        command.Parameters.AddWithValue("$id", idHash);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> DeleteUserConsoleSessionsAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await DeleteUserConsoleSessionsAsync(connection, userId, cancellationToken);
    }

    public async Task<int> DeleteExpiredConsoleSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM console_sessions WHERE expires_at <= $now");
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>On the caller's connection, so offboarding ends sessions inside its own transaction.</summary>
    private static async Task<int> DeleteUserConsoleSessionsAsync(
        SqliteConnection connection, string userId, CancellationToken ct)
    {
        await using var command = Command(connection, "DELETE FROM console_sessions WHERE user_id = $user");
        command.Parameters.AddWithValue("$user", userId);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static Task CreateConsoleSessionsTableAsync(SqliteConnection connection, CancellationToken ct) =>
        ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS console_sessions (
                id_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id),
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                ticket BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS console_sessions_by_user ON console_sessions(user_id);
            """, ct);
}
