using LyzerHub.Server.Hosting;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Tests.Storage;

public sealed class DuckDbEventStoreTests : EventStoreContractTests
{
    protected override IEventStore CreateStore(string dataDir) =>
        new DuckDbEventStore(
            Options.Create(new HubOptions { DataDir = dataDir, DuckDb = { MemoryLimit = "512MB", Threads = 2 } }),
            NullLogger<DuckDbEventStore>.Instance);

    [Fact]
    public async Task Initialize_FreshDataDir_CreatesEventsFile()
    {
        await OpenAsync();

        Assert.True(File.Exists(Path.Combine(DataDir, DuckDbEventStore.FileName)));
    }
}
