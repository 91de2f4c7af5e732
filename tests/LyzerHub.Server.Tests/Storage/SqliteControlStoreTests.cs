using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;

namespace LyzerHub.Server.Tests.Storage;

public sealed class SqliteControlStoreTests : ControlStoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lyzer-sqlite-" + Guid.NewGuid().ToString("N"));

    protected override Task<IControlStore> CreateStoreAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.FromResult<IControlStore>(new SqliteControlStore(Path.Combine(_dir, "control.db"), s_auditKey));
    }

    protected override Task DestroyStoreAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
