using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LyzerHub.Bench;

/// <summary>
/// What the dedupe index costs per million ids (PRODUCT.md §8): the store's <c>events</c> table, made by the
/// store itself (primary key on <c>(tenant_id, id)</c>), against the very same columns without the key, each
/// filled with the same N events in SQL. Measured: load time, file size after a checkpoint, DuckDB's own memory
/// (<c>duckdb_memory()</c>) after reopening and appending 1,000 more events, and the time of that append.
/// </summary>
internal static class DedupeIndexBench
{
    private const string WithoutKey = """
        CREATE TABLE events (
            tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL,
            distinct_id VARCHAR, properties JSON NOT NULL, received_at TIMESTAMPTZ NOT NULL)
        """;

    // Ids shaped like the hub's generated ones (evt_ + 22 characters), 10 tenants, small access-log properties.
    private const string Fill = """
        INSERT INTO events
        SELECT 'ten_' || substr(md5((r.range % 10)::VARCHAR), 1, 16),
               'evt_' || substr(md5(($offset + r.range)::VARCHAR), 1, 22),
               'http_request',
               TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_microseconds(r.range * 1000),
               'u' || (hash(r.range) % 20000),
               json_object('path', '/p/' || (hash(r.range * 7) % 200), 'status', 200,
                           'bytes', (hash(r.range * 13) % 100000)::BIGINT)::JSON,
               TIMESTAMPTZ '2026-10-01 00:00:00+00'
        FROM range($count) r
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var millions = new List<int>();
        for (var i = 1; i < args.Length; i++)
        {
            if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m <= 0)
            {
                await Console.Error.WriteLineAsync("usage: LyzerHub.Bench dedupe [MILLIONS ...] (default: 1 4)");
                return 2;
            }

            millions.Add(m);
        }

        if (millions.Count == 0) millions.AddRange([1, 4]);
        Console.WriteLine($"Lyzer Hub dedupe index cost: {Environment.ProcessorCount} cores, DuckDB memory_limit "
            + $"{new HubOptions().DuckDb.MemoryLimit}");
        Console.WriteLine();
        Console.WriteLine($"{"events",10} {"key",5} {"load s",8} {"file MiB",9} {"memory MiB",11} "
            + $"{"ART MiB",8} {"append 1k ms",13}");
        Console.WriteLine(new string('-', 70));
        foreach (var m in millions)
        {
            var withKey = await MeasureAsync(m * 1_000_000L, primaryKey: true);
            var without = await MeasureAsync(m * 1_000_000L, primaryKey: false);
            Print(withKey);
            Print(without);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",10} per million ids: file +{(withKey.FileBytes - without.FileBytes) / Mib / m:F1} MiB, "
                + $"memory +{(withKey.MemoryBytes - without.MemoryBytes) / Mib / m:F1} MiB, "
                + $"load +{(withKey.LoadSeconds - without.LoadSeconds) / m:F1} s"));
        }

        return 0;
    }

    private const double Mib = 1024 * 1024;

    private static void Print(Measurement r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Events,10:N0} {(r.PrimaryKey ? "yes" : "no"),5} {r.LoadSeconds,8:F1} {r.FileBytes / Mib,9:F1} "
        + $"{r.MemoryBytes / Mib,11:F1} {r.ArtBytes / Mib,8:F1} {r.AppendMs,13:F1}"));

    private static async Task<Measurement> MeasureAsync(long count, bool primaryKey)
    {
        using var directory = new TempDirectory("lyzer-bench-dedupe-");
        var file = Path.Combine(directory.Path, DuckDbEventStore.FileName);
        if (primaryKey)
        {
            // The store makes its own table, so the measured schema is exactly the one that ships.
            await using var store = new DuckDbEventStore(
                Options.Create(new HubOptions { DataDir = directory.Path }), NullLogger<DuckDbEventStore>.Instance);
            await store.InitializeAsync(CancellationToken.None);
        }

        var connectionString = new DuckDBConnectionStringBuilder { DataSource = file }.ToString();
        var load = Stopwatch.StartNew();
        using (var connection = Open(connectionString))
        {
            if (!primaryKey) Execute(connection, WithoutKey);
            Execute(connection, Fill, ("offset", 0L), ("count", count));
            Execute(connection, "CHECKPOINT");
        }

        load.Stop();
        var fileBytes = new FileInfo(file).Length;

        // Reopened, as after a restart; the 1,000-event append makes DuckDB bring the key's index into memory.
        using (var connection = Open(connectionString))
        {
            var append = Stopwatch.StartNew();
            Execute(connection, Fill, ("offset", count), ("count", 1_000L));
            append.Stop();
            var (memory, art) = Memory(connection);
            return new Measurement(count, primaryKey, load.Elapsed.TotalSeconds, fileBytes, memory, art,
                append.Elapsed.TotalMilliseconds);
        }
    }

    private static DuckDBConnection Open(string connectionString)
    {
        var connection = new DuckDBConnection(connectionString);
        connection.Open();
        Execute(connection, $"""
            SET autoinstall_known_extensions = false;
            SET autoload_known_extensions = false;
            SET memory_limit = '{new HubOptions().DuckDb.MemoryLimit}';
            """);
        return connection;
    }

    private static (long Total, long Art) Memory(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sum(memory_usage_bytes)::BIGINT,
                   coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'ART_INDEX'), 0)::BIGINT
            FROM duckdb_memory()
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static void Execute(DuckDBConnection connection, string sql, params (string Name, long Value)[] values)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in values) command.Parameters.Add(new DuckDBParameter(name, value));
        command.ExecuteNonQuery();
    }

    private sealed record Measurement(
        long Events, bool PrimaryKey, double LoadSeconds, long FileBytes, long MemoryBytes, long ArtBytes,
        double AppendMs);
}
