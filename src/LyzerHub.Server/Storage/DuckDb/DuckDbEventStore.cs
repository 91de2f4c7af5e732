using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DuckDB.NET.Data;
using LyzerHub.Server.Events;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Metrics;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Storage.DuckDb;

/// <summary>
/// The embedded event store: one DuckDB file, <c>&lt;DataDir&gt;/events.duckdb</c>. One connection stays open
/// for the store's lifetime and holds the database instance; every query opens its own connection to that
/// same instance, because a DuckDB connection must not be used by two threads at once while queries run
/// concurrently with the (single) append, which keeps a connection of its own.
/// </summary>
public sealed partial class DuckDbEventStore : IEventStore
{
    public const string FileName = "events.duckdb";

    // Bounds the number of buckets the store accepts; the endpoint rejects bigger queries with a clear 400.
    private const int MaxBuckets = 10_000;

    private readonly HubOptions _options;
    private readonly ILogger<DuckDbEventStore> _logger;
    private readonly SemaphoreSlim _appendGate = new(1, 1);
    private readonly string _connectionString;
    private DuckDBConnection? _root;
    private DuckDBConnection? _writer;

    public DuckDbEventStore(IOptions<HubOptions> options, ILogger<DuckDbEventStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        Path = System.IO.Path.Combine(_options.DataDirFullPath, FileName);
        _connectionString = new DuckDBConnectionStringBuilder { DataSource = Path }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_root is not null) return Task.CompletedTask;
        Directory.CreateDirectory(_options.DataDirFullPath);
        var memoryLimit = _options.DuckDb.MemoryLimit;
        if (!DuckDbOptions.IsValidMemoryLimit(memoryLimit))
        {
            throw new InvalidOperationException($"Hub:DuckDb:MemoryLimit '{memoryLimit}' is not a size like 1GB.");
        }

        var threads = _options.DuckDb.Threads > 0 ? _options.DuckDb.Threads : Environment.ProcessorCount;
        var root = new DuckDBConnection(_connectionString);
        root.Open();
        try
        {
            // Known gap: the primary key (the schema's own guarantee that an id is stored once per tenant) keeps
            // an index that grows with every event, and the append's duplicate lookup (a semi-join) reads every
            // stored (tenant_id, id), so appends slow as the table grows (1 M events: ~5 s); measured, the index
            // costs ~70 MiB of file and up to ~60 MiB of memory per million ids, more than the events themselves
            // (docs/benchmarks.md). Partitioning events by tenant and month, with a dedupe check per partition,
            // or a compact dedupe table of id hashes would bound both.
            // json and icu are linked in; nothing may ever be fetched from the network. SET takes no
            // parameters, so the two values are checked above (a size pattern, an integer) before they go in.
            Execute(root, $"""
                SET autoinstall_known_extensions = false;
                SET autoload_known_extensions = false;
                SET GLOBAL TimeZone = 'UTC';
                SET GLOBAL memory_limit = '{memoryLimit}';
                SET GLOBAL threads = {threads.ToString(CultureInfo.InvariantCulture)};
                CREATE TABLE IF NOT EXISTS events (
                    tenant_id VARCHAR NOT NULL,
                    id VARCHAR NOT NULL,
                    name VARCHAR NOT NULL,
                    ts TIMESTAMPTZ NOT NULL,
                    distinct_id VARCHAR,
                    properties JSON NOT NULL,
                    received_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (tenant_id, id));
                """);
        }
        catch
        {
            root.Dispose();
            throw;
        }

        _root = root;
        Log.EventStoreOpened(_logger, Path, memoryLimit, threads);
        return Task.CompletedTask;
    }

    public async Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        await _appendGate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Append(events, cancellationToken), cancellationToken);
        }
        finally
        {
            _appendGate.Release();
        }
    }

    public async Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var starts = BucketBoundaries.TryCompute(query.From, query.To, query.Interval, query.TimeZone, MaxBuckets)
            ?? throw new ArgumentException($"The query spans more than {MaxBuckets} buckets.", nameof(query));
        var sql = DuckDbMetricSql.Build(tenantId, query, starts);

        var stopwatch = Stopwatch.StartNew();
        var rows = await RunAsync(sql.Text, sql.Parameters, ReadMetricRow, cancellationToken);
        Log.MetricQueryExecuted(_logger, starts.Count, rows.Count, stopwatch.ElapsedMilliseconds);
        return MetricAssembly.Assemble(query, starts, rows);
    }

    public async Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(
        string tenantId, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT name, count(*), epoch_us(max(ts)) FROM events WHERE tenant_id = $tenant
            GROUP BY name ORDER BY name
            """;
        return await RunAsync(Sql, [new DuckDBParameter("tenant", tenantId)], reader => new EventNameSummary(
            reader.GetString(0),
            reader.GetInt64(1),
            DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(2) * TimeSpan.TicksPerMicrosecond)), cancellationToken);
    }

    public async IAsyncEnumerable<StoredEvent> ListEventsAsync(
        string tenantId, EventListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (sql, parameters) = BuildListSql(tenantId, query);

        // Opening and the first fetch run off the request thread; later fetches block briefly once per chunk of
        // rows (DuckDB's reader is synchronous), which is the price of streaming instead of buffering the result.
        var (connection, command, reader) = await Task.Run(() =>
        {
            var connection = Open();
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var parameter in parameters) command.Parameters.Add(parameter);
            command.UseStreamingMode = true;
            try
            {
                return (connection, command, command.ExecuteReader());
            }
            catch
            {
                command.Dispose();
                connection.Dispose();
                throw;
            }
        }, cancellationToken);

        // Known gap: a slow export keeps its read transaction open, which holds back DuckDB's automatic checkpoint
        // until it ends; a row cap per export or a snapshot copied to a file would bound that.
        using (connection)
        using (command)
        using (reader)
        using (cancellationToken.Register(command.Cancel))
        {
            while (true)
            {
                bool more;
                try
                {
                    more = reader.Read();
                }
                catch (DuckDBException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                if (!more) yield break;
                yield return new StoredEvent(
                    tenantId,
                    reader.GetString(0),
                    reader.GetString(1),
                    FromUnixMicroseconds(reader.GetInt64(2)),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetString(4),
                    FromUnixMicroseconds(reader.GetInt64(5)));
            }
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_root is null) return false;
        var one = await RunAsync("SELECT 1", [], reader => reader.GetInt32(0), cancellationToken);
        return one is [1];
    }

    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        _writer = null;
        _root?.Dispose();
        _root = null;
        _appendGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool[] Append(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var duplicates = new bool[events.Count];

        // Within the list the first write wins; only first occurrences go to the database.
        var seen = new HashSet<(string, string)>(events.Count);
        for (var i = 0; i < events.Count; i++) duplicates[i] = !seen.Add((events[i].TenantId, events[i].Id));

        var connection = _writer ??= OpenWriter();
        Execute(connection, "BEGIN TRANSACTION");
        try
        {
            using (var appender = connection.CreateAppender("temp", "main", "staging"))
            {
                for (var i = 0; i < events.Count; i++)
                {
                    if (duplicates[i]) continue;
                    var e = events[i];
                    var row = appender.CreateRow()
                        .AppendValue(i)
                        .AppendValue(e.TenantId)
                        .AppendValue(e.Id)
                        .AppendValue(e.Name)
                        .AppendValue(e.Timestamp.UtcDateTime);
                    row = e.DistinctId is null ? row.AppendNullValue() : row.AppendValue(e.DistinctId);
                    row.AppendValue(e.PropertiesJson)
                        .AppendValue(e.ReceivedAt.UtcDateTime)
                        .AppendValue(false)
                        .EndRow();
                }
            }

            // One lookup of the staged ids in events marks the stored ones; the insert then filters on that mark
            // instead of joining again. Appends run one at a time, so nothing can store an id in between; and were
            // one to slip through, the primary key would fail the append rather than keep a second copy.
            // INSERT OR IGNORE ... RETURNING (the key's own check as the only lookup) was measured too: it cost
            // more CPU per event than this (docs/benchmarks.md).
            var stored = RunOn(connection, """
                UPDATE staging SET dup = true
                WHERE EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = staging.tenant_id AND e.id = staging.id)
                RETURNING seq
                """, [], reader => reader.GetInt32(0));
            foreach (var seq in stored) duplicates[seq] = true;
            Execute(connection, """
                INSERT INTO events
                SELECT tenant_id, id, name, ts, distinct_id, properties::JSON, received_at FROM staging
                WHERE NOT dup ORDER BY seq
                """);

            // Staging lives across appends (its rows are this transaction's); emptying it here keeps it empty after
            // the commit, and a rollback empties it as well.
            Execute(connection, "DELETE FROM staging");

            // The last point where giving up leaves nothing behind; DuckDB syncs its log on commit.
            cancellationToken.ThrowIfCancellationRequested();
            Execute(connection, "COMMIT");
        }
        catch
        {
            // A failed statement may leave the connection in a state not worth reasoning about: roll back if it
            // still can, and start the next append on a fresh connection and staging table.
            try
            {
                Execute(connection, "ROLLBACK");
            }
            catch (DuckDBException)
            {
                // Nothing was committed either way; the original failure is the one worth reporting.
            }

            connection.Dispose();
            _writer = null;

            throw;
        }

        var duplicateCount = duplicates.Count(d => d);
        Log.EventsAppended(_logger, events.Count - duplicateCount, duplicateCount, stopwatch.ElapsedMilliseconds);
        return duplicates;
    }

    /// <summary>
    /// The writer's own connection with its staging table, kept for the store's lifetime: appends run one at a
    /// time, so one connection serves them all and the table is created once instead of on every append.
    /// </summary>
    private DuckDBConnection OpenWriter()
    {
        var connection = Open();
        try
        {
            Execute(connection, """
                CREATE TEMP TABLE staging (
                    seq INTEGER, tenant_id VARCHAR, id VARCHAR, name VARCHAR, ts TIMESTAMPTZ,
                    distinct_id VARCHAR, properties VARCHAR, received_at TIMESTAMPTZ, dup BOOLEAN);
                """);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The keyset query of <see cref="ListEventsAsync"/>: fixed text, every value a parameter. The position is
    /// compared in microseconds (exactly what is stored) and ids in DuckDB's VARCHAR order, so the cursor condition
    /// and ORDER BY agree and paging neither skips nor repeats, whatever arrives in between.
    /// </summary>
    // Known gap: DuckDB orders VARCHAR by UTF-8 bytes, which matches .NET ordinal (UTF-16) order except for
    // characters above U+FFFF against U+E000-U+FFFF; ids mixing those sort differently from ordinal order (still
    // without gaps or repeats). Ordering by the id's UTF-16 code units (e.g. a stored sort key) would fix it.
    internal static (string Sql, List<DuckDBParameter> Parameters) BuildListSql(string tenantId, EventListQuery query)
    {
        var parameters = new List<DuckDBParameter> { new("tenant", tenantId) };
        var where = new System.Text.StringBuilder("tenant_id = $tenant");
        if (query.Name is not null)
        {
            where.Append(" AND name = $name");
            parameters.Add(new DuckDBParameter("name", query.Name));
        }

        if (query.From is { } from)
        {
            where.Append(" AND epoch_us(ts) >= $from");
            parameters.Add(new DuckDBParameter("from", CeilingUnixMicroseconds(from)));
        }

        if (query.To is { } to)
        {
            where.Append(" AND epoch_us(ts) < $to");
            parameters.Add(new DuckDBParameter("to", CeilingUnixMicroseconds(to)));
        }

        if (query.After is { } after)
        {
            where.Append(" AND (epoch_us(ts) < $after_ts OR (epoch_us(ts) = $after_ts AND id < $after_id))");
            parameters.Add(new DuckDBParameter("after_ts", after.TimestampUnixMicroseconds));
            parameters.Add(new DuckDBParameter("after_id", after.Id));
        }

        var limit = "";
        if (query.Limit is { } count)
        {
            limit = " LIMIT $limit";
            parameters.Add(new DuckDBParameter("limit", (long)count));
        }

        var sql = $"""
            SELECT id, name, epoch_us(ts), distinct_id, properties::VARCHAR, epoch_us(received_at) FROM events
            WHERE {where} ORDER BY ts DESC, id DESC{limit}
            """;
        return (sql, parameters);
    }

    // Stored times are whole microseconds: a bound with a finer fraction moves to the next microsecond, which
    // keeps [from, to) exactly as asked (an event at 10.0000005 s is stored as 10.000000 s and is before it).
    private static long CeilingUnixMicroseconds(DateTimeOffset value)
    {
        var micros = Math.DivRem(value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, TimeSpan.TicksPerMicrosecond,
            out var rest);
        return rest > 0 ? micros + 1 : micros;
    }

    private static DateTimeOffset FromUnixMicroseconds(long micros) =>
        DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    private async Task<List<T>> RunAsync<T>(
        string sql,
        IReadOnlyList<DuckDBParameter> parameters,
        Func<DuckDBDataReader, T> read,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            return await Task.Run(() =>
            {
                using var connection = Open();
                return RunOn(connection, sql, parameters, read, cancellationToken);
            }, cancellationToken);
        }
        catch (DuckDBException) when (cancellationToken.IsCancellationRequested)
        {
            Log.MetricQueryCancelled(_logger, stopwatch.ElapsedMilliseconds);
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private static List<T> RunOn<T>(
        DuckDBConnection connection,
        string sql,
        IReadOnlyList<DuckDBParameter> parameters,
        Func<DuckDBDataReader, T> read,
        CancellationToken cancellationToken = default)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters) command.Parameters.Add(parameter);

        // DuckDB interrupts the running statement; the caller turns the resulting error into a cancellation.
        using var registration = cancellationToken.Register(command.Cancel);
        using var reader = command.ExecuteReader();
        var results = new List<T>();
        while (reader.Read()) results.Add(read(reader));
        return results;
    }

    private DuckDBConnection Open()
    {
        if (_root is null) throw new InvalidOperationException("InitializeAsync must run before the store is used.");
        var connection = new DuckDBConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static MetricRow ReadMetricRow(DuckDBDataReader reader) => new(
        reader.IsDBNull(0) ? null : reader.GetInt64(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt64(2),
        reader.IsDBNull(3) ? null : reader.GetDouble(3));

}

/// <summary>One grouped row of the metric statement; <see cref="Bucket"/> is null on a series' total.</summary>
internal sealed record MetricRow(long? Position, string? Key, long? Bucket, double? Value);

/// <summary>Turns grouped rows into series with every bucket present, in breakdown order.</summary>
internal static class MetricAssembly
{
    public static MetricResult Assemble(MetricQuery query, IReadOnlyList<DateTimeOffset> starts, List<MetricRow> rows)
    {
        double? empty = query.Measure is Measure.Count or Measure.Unique or Measure.Sum ? 0 : null;
        var series = new List<MetricSeries>();
        var groups = rows.GroupBy(r => r.Position ?? long.MaxValue).OrderBy(g => g.Key);
        foreach (var group in groups)
        {
            var points = starts.Select(t => new MetricPoint(t, empty)).ToArray();
            double? total = empty;
            string? key = null;
            foreach (var row in group)
            {
                key = row.Key;
                if (row.Bucket is { } bucket) points[bucket] = points[bucket] with { Value = row.Value };
                else total = row.Value;
            }

            series.Add(new MetricSeries(query.Breakdown is null ? null : ParseKey(key), total, points));
        }

        // Without a breakdown there is always exactly one series, even over no events.
        if (query.Breakdown is null && series.Count == 0)
        {
            series.Add(new MetricSeries(null, empty, starts.Select(t => new MetricPoint(t, empty)).ToArray()));
        }

        return new MetricResult(series);
    }

    private static JsonElement? ParseKey(string? json)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
