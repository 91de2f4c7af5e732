using System.Data.Common;
using System.Text.Json;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Keys;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Storage.Sqlite;

/// <summary>
/// The embedded control plane: one SQLite file in WAL mode, so readers (every key check that misses the cache)
/// never wait for a writer. Connections are pooled by Microsoft.Data.Sqlite; each call opens one briefly.
/// Times are stored as Unix milliseconds (UTC) so that ordering and comparisons stay numeric.
/// </summary>
public sealed partial class SqliteControlStore : IControlStore
{
    private const string FileName = "control.db";

    private const string KeyColumns =
        "k.id, k.tenant_id, k.user_id, k.name, k.start, k.permissions, k.is_login, k.created_at, k.expires_at, " +
        "k.revoked_at, k.last_used_at, k.request_count, k.rate_limit";

    // Column counts of the lists above, so joined reads find each part without hand-counted ordinals.
    private const int KeyColumnCount = 13;
    private const int UserColumnCount = 8;

    private const string UserColumns =
        "u.id, u.tenant_id, u.username, u.role, u.state, u.password_hash, u.is_operator, u.created_at";

    private const string TenantColumns = "t.id, t.slug, t.name, t.created_at, t.policy";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly string _connectionString;
    private readonly AuditChainKey _auditKey;

    public SqliteControlStore(IOptions<HubOptions> options, AuditChainKey auditKey)
        : this(Path.Combine(options.Value.DataDirFullPath, FileName), auditKey)
    {
    }

    public SqliteControlStore(string databasePath, AuditChainKey auditKey)
    {
        _auditKey = auditKey;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS tenants (
                id TEXT PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                policy TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS users (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id),
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                state TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                is_operator INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS keys (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id),
                user_id TEXT NOT NULL REFERENCES users(id),
                name TEXT NOT NULL,
                start TEXT NOT NULL,
                permissions TEXT NOT NULL,
                is_login INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                revoked_at INTEGER,
                last_used_at INTEGER,
                request_count INTEGER NOT NULL DEFAULT 0,
                rate_limit TEXT);
            CREATE INDEX IF NOT EXISTS keys_by_tenant ON keys(tenant_id, created_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS keys_by_user ON keys(user_id);
            -- A key may have more than one secret while a roll's grace period runs; valid_until ends one early.
            CREATE TABLE IF NOT EXISTS key_secrets (
                hash TEXT PRIMARY KEY,
                key_id TEXT NOT NULL REFERENCES keys(id),
                created_at INTEGER NOT NULL,
                valid_until INTEGER);
            """, cancellationToken);
        await AddKeyRateLimitColumnAsync(connection, cancellationToken);
        await CreateAuditTableAsync(connection, cancellationToken);
        await CreateConsoleSessionsTableAsync(connection, cancellationToken);
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, "SELECT 1");
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken),
                System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public async Task<bool> HasAnyTenantAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT EXISTS (SELECT 1 FROM tenants)");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken),
            System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    public async Task<CreateTenantOutcome> CreateTenantAsync(
        Tenant tenant, User owner, IReadOnlyList<AuditDraft> audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        if (await ExistsAsync(connection, "SELECT 1 FROM tenants WHERE slug = $a", tenant.Slug, cancellationToken))
            return CreateTenantOutcome.SlugTaken;
        if (await ExistsAsync(connection, "SELECT 1 FROM users WHERE username_key = $a",
                UsernameKey(owner.Username), cancellationToken))
            return CreateTenantOutcome.UsernameTaken;

        await using (var insertTenant = Command(connection,
            "INSERT INTO tenants (id, slug, name, created_at, policy) VALUES ($id, $slug, $name, $created, $policy)"))
        {
            insertTenant.Parameters.AddWithValue("$id", tenant.Id);
            insertTenant.Parameters.AddWithValue("$slug", tenant.Slug);
            insertTenant.Parameters.AddWithValue("$name", tenant.Name);
            insertTenant.Parameters.AddWithValue("$created", tenant.CreatedAt.ToUnixTimeMilliseconds());
            insertTenant.Parameters.AddWithValue("$policy", JsonSerializer.Serialize(tenant.Policy, s_json));
            await insertTenant.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertUserAsync(connection, owner, cancellationToken);
        foreach (var draft in audit) await AppendAuditAsync(connection, draft, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return CreateTenantOutcome.Created;
    }

    public async Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT {TenantColumns} FROM tenants t WHERE t.id = $a");
        command.Parameters.AddWithValue("$a", tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadTenant(reader, 0) : null;
    }

    public async Task<Page<Tenant>> ListTenantsAsync(int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT {TenantColumns} FROM tenants t
            WHERE $cursor_ms IS NULL OR (t.created_at, t.id) < ($cursor_ms, $cursor_id)
            ORDER BY t.created_at DESC, t.id DESC LIMIT $limit
            """);
        AddPaging(command, limit, cursor);
        var items = new List<Tenant>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) items.Add(ReadTenant(reader, 0));
        return ToPage(items, limit, t => new ListCursor(t.CreatedAt.ToUnixTimeMilliseconds(), t.Id));
    }

    public async Task<User?> FindUserByUsernameAsync(string username, CancellationToken cancellationToken) =>
        await FindUserAsync("u.username_key = $a", UsernameKey(username), cancellationToken);

    public async Task<User?> FindOperatorAsync(CancellationToken cancellationToken) =>
        await FindUserAsync("u.is_operator = $a", 1, cancellationToken);

    public async Task<int> ResetPasswordAsync(
        string userId, string passwordHash, DateTimeOffset at, AuditDraft audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = Command(connection, "UPDATE users SET password_hash = $hash WHERE id = $id"))
        {
            update.Parameters.AddWithValue("$hash", passwordHash);
            update.Parameters.AddWithValue("$id", userId);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0) return 0;
        }

        var revoked = await RevokeUserKeysAsync(connection, userId, at, cancellationToken);

        // The operator's console sessions were proven by the old password: they end with it.
        await DeleteUserConsoleSessionsAsync(connection, userId, cancellationToken);
        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return revoked;
    }

    public async Task InsertKeyAsync(NewKey key, AuditDraft audit, CancellationToken cancellationToken)
    {
        var record = key.Record;
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var insertKey = Command(connection, """
            INSERT INTO keys (id, tenant_id, user_id, name, start, permissions, is_login, created_at, expires_at,
                              rate_limit)
            VALUES ($id, $tenant, $user, $name, $start, $permissions, $login, $created, $expires, $rate_limit)
            """))
        {
            insertKey.Parameters.AddWithValue("$id", record.Id);
            insertKey.Parameters.AddWithValue("$tenant", record.TenantId);
            insertKey.Parameters.AddWithValue("$user", record.UserId);
            insertKey.Parameters.AddWithValue("$name", record.Name);
            insertKey.Parameters.AddWithValue("$start", record.Start);
            insertKey.Parameters.AddWithValue("$permissions", JsonSerializer.Serialize(record.Permissions, s_json));
            insertKey.Parameters.AddWithValue("$login", record.IsLoginKey ? 1 : 0);
            insertKey.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
            insertKey.Parameters.AddWithValue("$expires", ToDb(record.ExpiresAt));
            insertKey.Parameters.AddWithValue("$rate_limit", record.RateLimit is { } limit
                ? JsonSerializer.Serialize(limit, s_json)
                : DBNull.Value);
            await insertKey.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insertSecret = Command(connection,
            "INSERT INTO key_secrets (hash, key_id, created_at) VALUES ($hash, $key, $created)"))
        {
            insertSecret.Parameters.AddWithValue("$hash", key.SecretHash.ToHex());
            insertSecret.Parameters.AddWithValue("$key", record.Id);
            insertSecret.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
            await insertSecret.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<KeyGrant?> FindKeyBySecretAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT {KeyColumns}, s.valid_until, {UserColumns}, {TenantColumns}
            FROM key_secrets s
            JOIN keys k ON k.id = s.key_id
            JOIN users u ON u.id = k.user_id
            JOIN tenants t ON t.id = k.tenant_id
            WHERE s.hash = $a
            """);
        command.Parameters.AddWithValue("$a", hash.ToHex());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;

        return new KeyGrant(ReadKey(reader, 0), FromDb(reader, KeyColumnCount), ReadUser(reader, KeyColumnCount + 1),
            ReadTenant(reader, KeyColumnCount + 1 + UserColumnCount));
    }

    public async Task<KeyRecord?> GetKeyAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            $"SELECT {KeyColumns} FROM keys k WHERE k.tenant_id = $tenant AND k.id = $id");
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", keyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadKey(reader, 0) : null;
    }

    public async Task<Page<KeyRecord>> ListKeysAsync(
        string tenantId,
        string? userId,
        bool includeInactive,
        DateTimeOffset now,
        int limit,
        string? cursor,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT {KeyColumns} FROM keys k
            WHERE k.tenant_id = $tenant
              AND ($user IS NULL OR k.user_id = $user)
              AND ($all = 1 OR (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $now)))
              AND ($cursor_ms IS NULL OR (k.created_at, k.id) < ($cursor_ms, $cursor_id))
            ORDER BY k.created_at DESC, k.id DESC LIMIT $limit
            """);
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$user", (object?)userId ?? DBNull.Value);
        command.Parameters.AddWithValue("$all", includeInactive ? 1 : 0);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        AddPaging(command, limit, cursor);
        var items = new List<KeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) items.Add(ReadKey(reader, 0));
        return ToPage(items, limit, k => new ListCursor(k.CreatedAt.ToUnixTimeMilliseconds(), k.Id));
    }

    public async Task<bool> RevokeKeyAsync(
        string tenantId, string keyId, DateTimeOffset at, AuditDraft audit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = Command(connection,
            "UPDATE keys SET revoked_at = $at WHERE tenant_id = $tenant AND id = $id AND revoked_at IS NULL"))
        {
            command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$id", keyId);
            // Already revoked: nothing changed, so no entry either (DELETE is idempotent, the trail says it once).
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1) return false;
        }

        await AppendAuditAsync(connection, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    internal static string UsernameKey(string username) => Auth.Usernames.Key(username);

    private async Task<User?> FindUserAsync(string where, object value, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT {UserColumns} FROM users u WHERE {where}");
        command.Parameters.AddWithValue("$a", value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUser(reader, 0) : null;
    }

    private static async Task InsertUserAsync(SqliteConnection connection, User user, CancellationToken ct)
    {
        await using var command = Command(connection, """
            INSERT INTO users (id, tenant_id, username, username_key, role, state, password_hash, is_operator,
                               created_at)
            VALUES ($id, $tenant, $username, $key, $role, $state, $hash, $operator, $created)
            """);
        command.Parameters.AddWithValue("$id", user.Id);
        command.Parameters.AddWithValue("$tenant", user.TenantId);
        command.Parameters.AddWithValue("$username", user.Username);
        command.Parameters.AddWithValue("$key", UsernameKey(user.Username));
        command.Parameters.AddWithValue("$role", user.Role);
        command.Parameters.AddWithValue("$state", user.State);
        command.Parameters.AddWithValue("$hash", user.PasswordHash);
        command.Parameters.AddWithValue("$operator", user.IsOperator ? 1 : 0);
        command.Parameters.AddWithValue("$created", user.CreatedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<bool> ExistsAsync(
        SqliteConnection connection, string sql, object value, CancellationToken ct)
    {
        await using var command = Command(connection, sql);
        command.Parameters.AddWithValue("$a", value);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static void AddPaging(SqliteCommand command, int limit, string? cursor)
    {
        var hasCursor = ListCursor.TryDecode(cursor, out var decoded);
        command.Parameters.AddWithValue("$cursor_ms", hasCursor ? decoded.CreatedAtUnixMs : DBNull.Value);
        command.Parameters.AddWithValue("$cursor_id", hasCursor ? decoded.Id : DBNull.Value);
        // One row more than asked tells whether a next page exists without a second query.
        command.Parameters.AddWithValue("$limit", limit + 1);
    }

    private static Page<T> ToPage<T>(List<T> items, int limit, Func<T, ListCursor> cursorOf)
    {
        if (items.Count <= limit) return new Page<T>(items, null);
        items.RemoveAt(items.Count - 1);
        return new Page<T>(items, cursorOf(items[^1]).Encode());
    }

    private static Tenant ReadTenant(DbDataReader reader, int at) => new(
        reader.GetString(at),
        reader.GetString(at + 1),
        reader.GetString(at + 2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 3)),
        JsonSerializer.Deserialize<TenantPolicy>(reader.GetString(at + 4), s_json) ?? TenantPolicy.Default);

    private static User ReadUser(DbDataReader reader, int at) => new(
        reader.GetString(at),
        reader.GetString(at + 1),
        reader.GetString(at + 2),
        reader.GetString(at + 3),
        reader.GetString(at + 4),
        reader.GetString(at + 5),
        reader.GetInt64(at + 6) == 1,
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 7)));

    private static KeyRecord ReadKey(DbDataReader reader, int at) => new(
        reader.GetString(at),
        reader.GetString(at + 1),
        reader.GetString(at + 2),
        reader.GetString(at + 3),
        reader.GetString(at + 4),
        JsonSerializer.Deserialize<string[]>(reader.GetString(at + 5), s_json) ?? [],
        reader.GetInt64(at + 6) == 1,
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 7)),
        FromDb(reader, at + 8),
        FromDb(reader, at + 9),
        FromDb(reader, at + 10),
        reader.GetInt64(at + 11),
        ReadRateLimit(reader, at + 12));

    private static object ToDb(DateTimeOffset? value) =>
        value is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    private static DateTimeOffset? FromDb(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));
}
