using LyzerHub.Server.Audit;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Tests.Storage;

public sealed class SqlitePolicyCompatibilityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lyzer-policy-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task GetTenant_PolicyStoredBeforeRateLimits_ReadsWithHubDefaultsAndTakesLimitsLater()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "control.db");
        var store = new SqliteControlStore(path,
            new Server.Audit.AuditChainKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        await store.InitializeAsync(CancellationToken.None);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // A tenant row exactly as hubs before tenant rate limits wrote it.
            command.CommandText = """
                INSERT INTO tenants (id, slug, name, created_at, policy) VALUES ('ten_old000000000000000', 'old',
                    'Old', 1764763200000, '{"maxKeyLifetimeSeconds":7776000,"allowNonExpiringKeys":false,
                    "loginKeyLifetimeSeconds":1800,"defaultLoginPermissions":["read:metrics"]}')
                """;
            await command.ExecuteNonQueryAsync();
        }

        var old = (await store.GetTenantAsync("ten_old000000000000000", CancellationToken.None))!.Policy;
        await store.UpdateTenantPolicyAsync("ten_old000000000000000",
            p => p with { TenantRateLimit = new KeyRateLimit(500, 60) }, 
            new AuditDraft(DateTimeOffset.UnixEpoch, "ten_old000000000000000", "system", null,
                AuditActions.TenantPolicyChanged, "ten_old000000000000000", null, null, null, "success"),
            CancellationToken.None);
        var updated = (await store.GetTenantAsync("ten_old000000000000000", CancellationToken.None))!.Policy;

        Assert.Equal(1800, old.LoginKeyLifetimeSeconds);
        Assert.Equal(["read:metrics"], old.DefaultLoginPermissions);
        Assert.Null(old.DefaultKeyRateLimit);
        Assert.Null(old.TenantRateLimit);
        Assert.Equal(new KeyRateLimit(500, 60), updated.TenantRateLimit);
        Assert.Equal(1800, updated.LoginKeyLifetimeSeconds);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
