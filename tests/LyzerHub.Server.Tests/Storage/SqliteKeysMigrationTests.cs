using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Tests.Storage;

public sealed class SqliteKeysMigrationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lyzer-migrate-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Initialize_KeysTableWithoutRateLimit_ColumnAddedAndUsable()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "control.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // The keys table as data directories made before per-key rate limits have it.
            command.CommandText = """
                CREATE TABLE keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
                    name TEXT NOT NULL, start TEXT NOT NULL, permissions TEXT NOT NULL, is_login INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER,
                    request_count INTEGER NOT NULL DEFAULT 0);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteControlStore(path,
            new Server.Audit.AuditChainKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        await store.InitializeAsync(CancellationToken.None);
        await store.InitializeAsync(CancellationToken.None); // a second start finds the column and adds nothing
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var tenant = new Tenant(Ids.NewTenantId(), "acme", "Acme", now, TenantPolicy.Default);
        var user = new User(Ids.NewUserId(), tenant.Id, "alice", "owner", UserStates.Active, "hash", false, now);
        await store.CreateTenantAsync(tenant, user, [], CancellationToken.None);
        var plain = KeyFormat.Generate();
        var key = new KeyRecord(Ids.NewKeyId(), tenant.Id, user.Id, "old", KeyFormat.StartOf(plain),
            ["read:metrics"], false, now, null, null, null, 0, new KeyRateLimit(10, 60));

        await store.InsertKeyAsync(new NewKey(key, KeyFormat.Hash(plain)),
            new Server.Audit.AuditDraft(now, tenant.Id, "system", null, "key.created", key.Id, null, null, null,
                "success"), CancellationToken.None);

        Assert.Equal(new KeyRateLimit(10, 60),
            (await store.GetKeyAsync(tenant.Id, key.Id, CancellationToken.None))!.RateLimit);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
