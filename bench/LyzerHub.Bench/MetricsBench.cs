using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Storage.DuckDb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LyzerHub.Bench;

/// <summary>
/// Metric queries through the API (<c>POST /v1/metrics/query</c> over HTTPS) against the same aggregations written
/// by hand in SQL on the same DuckDB file. Events are generated inside DuckDB (one INSERT ... SELECT over range),
/// since the ingest path is measured elsewhere and would make a large data set slow to build.
/// </summary>
internal static class MetricsBench
{
    private const string AdminPassword = "bench-operator-password-1";
    private const string EventName = "http_request";
    private static readonly DateTimeOffset s_from = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_to = s_from.AddDays(30);

    public static async Task<IReadOnlyList<MetricsBenchRow>> RunAsync(
        MetricsArguments arguments, CancellationToken cancellationToken)
    {
        using var directory = new TempDirectory("lyzer-bench-metrics-");
        var dataDir = Path.Combine(directory.Path, "data");

        // 1. A hub on a fresh data directory makes the tenants, so their ids are real; then it stops to let the
        // data be loaded straight into its events file.
        List<string> tenantIds;
        await using (var hub = await StartHubAsync(dataDir, cancellationToken))
        {
            tenantIds = await CreateTenantsAsync(hub.Client, arguments.Tenants, cancellationToken);
        }

        var eventsFile = Path.Combine(dataDir, DuckDbEventStore.FileName);
        var loading = Stopwatch.StartNew();
        await LoadAsync(eventsFile, tenantIds, arguments.Events, cancellationToken);
        Console.WriteLine($"loaded {arguments.Events:N0} events in {tenantIds.Count} tenants in "
            + $"{loading.Elapsed.TotalSeconds:0.0} s; the queried one holds {arguments.Events / tenantIds.Count:N0}");

        // 2. The API and hand-written SQL, interleaved run by run (API, SQL, API, SQL, ...) so that load from
        // other work on shared cores falls on both sides alike; a first version ran all API runs and then all SQL
        // runs, and the ratio swung by 10x between runs on a busy machine. The SQL connection opens the very file
        // the hub's store holds (same path, so the same DuckDB instance in this process), with the store's settings.
        var api = new Dictionary<string, (double Ms, double CpuMs)>();
        var sql = new Dictionary<string, (double Ms, double CpuMs)>();
        long apiCount, sqlCount;
        await using (var hub = await StartHubAsync(dataDir, cancellationToken))
        using (var connection = new DuckDBConnection(
                   new DuckDBConnectionStringBuilder { DataSource = eventsFile }.ToString()))
        {
            var key = await LoginAsync(hub.Client, "read:metrics", cancellationToken);
            hub.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            connection.Open();
            Execute(connection, $"""
                SET autoinstall_known_extensions = false;
                SET autoload_known_extensions = false;
                SET TimeZone = 'UTC';
                SET memory_limit = '{new HubOptions().DuckDb.MemoryLimit}';
                SET threads = {Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)};
                """, []);
            apiCount = await ApiTotalAsync(hub.Client, cancellationToken);
            sqlCount = SqlTotal(connection, tenantIds[0]);
            foreach (var ((name, body), (_, text)) in ApiQueries().Zip(SqlQueries()))
            {
                (api[name], sql[name]) = await InterleavedMediansAsync(arguments.Runs,
                    () => PostQueryAsync(hub.Client, body, cancellationToken),
                    () => RunSql(connection, text, tenantIds[0]));
            }
        }

        if (apiCount != sqlCount)
        {
            throw new InvalidOperationException(
                $"The API counted {apiCount} events and SQL {sqlCount}; the two sides disagree, the run is invalid.");
        }

        return api.Keys.Select(name => new MetricsBenchRow(
            name, api[name].Ms, sql[name].Ms, api[name].CpuMs, sql[name].CpuMs)).ToList();
    }

    private static IEnumerable<(string Name, JsonObject Body)> ApiQueries()
    {
        JsonObject Query(string measure, string interval, string timezone, string? property = null,
            string? breakdown = null) => new()
        {
            ["event"] = EventName, ["measure"] = measure, ["property"] = property,
            ["from"] = Rfc3339DateTimeOffsetConverter.Format(s_from),
            ["to"] = Rfc3339DateTimeOffsetConverter.Format(s_to),
            ["interval"] = interval, ["timezone"] = timezone, ["breakdown"] = breakdown, ["limit"] = 10,
        };

        yield return ("hourly count (UTC)", Query("count", "hour", "UTC"));
        yield return ("daily unique (New York)", Query("unique", "day", "America/New_York"));
        yield return ("daily count, top 10 paths", Query("count", "day", "UTC", breakdown: "path"));
        yield return ("daily p95 of bytes", Query("p95", "day", "UTC", property: "bytes"));
    }

    // The same answers as the API's (bucket values and the total over the range) written as one would by hand
    // for speed: no empty-bucket filling, no JSON type checks beyond what the data needs, days and hours as
    // integer arithmetic on microseconds, buckets and the range total in one pass (GROUPING SETS; a second scan
    // for the total, as a first version had, made the API look faster than SQL at 10 M events). A first version
    // bucketed with time_bucket(INTERVAL '1 day', ts[, zone]) on every row: on TIMESTAMPTZ that goes through ICU
    // per row and ran 5-20x slower than the API, which would have flattered the API.
    private static IEnumerable<(string Name, string Sql)> SqlQueries()
    {
        const string Where = "tenant_id = $tenant AND name = $name AND ts >= $from AND ts < $to";
        const string Hour = "3600000000";
        const string Day = "86400000000";
        yield return ("hourly count (UTC)", $"""
            SELECT epoch_us(ts) // {Hour} AS b, count(*) FROM events WHERE {Where} GROUP BY GROUPING SETS ((b), ())
            """);
        // New York days by integer arithmetic too: the 30 days hold no DST change (checked), so local midnight
        // is a fixed offset from UTC over the whole range, as someone writing this report by hand would use. (An
        // ASOF join to the local midnights was the first baseline; the API now buckets even days by arithmetic
        // and beat it, which flattered the API.)
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var offset = newYork.GetUtcOffset(s_from);
        if (newYork.GetUtcOffset(s_to.AddTicks(-1)) != offset)
            throw new InvalidOperationException("The bench range must not cross a New York DST change.");
        var offsetUs = ((long)offset.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        yield return ("daily unique (New York)", $"""
            SELECT (epoch_us(ts) + ({offsetUs})) // {Day} AS b, count(DISTINCT distinct_id) FROM events
            WHERE {Where} GROUP BY GROUPING SETS ((b), ())
            """);
        yield return ("daily count, top 10 paths", $"""
            WITH e AS (SELECT ts, properties->>'$.path' AS path FROM events WHERE {Where}),
            top AS (SELECT path, count(*) AS c FROM e WHERE path IS NOT NULL GROUP BY path
                    ORDER BY c DESC, path LIMIT 10)
            SELECT path, epoch_us(ts) // {Day} AS b, count(*) FROM e SEMI JOIN top USING (path)
            GROUP BY path, b
            UNION ALL SELECT path, NULL, c FROM top
            """);
        yield return ("daily p95 of bytes", $"""
            SELECT epoch_us(ts) // {Day} AS b, quantile_cont(TRY_CAST(properties->>'$.bytes' AS DOUBLE), 0.95)
            FROM events WHERE {Where} GROUP BY GROUPING SETS ((b), ())
            """);
    }

    private static async Task LoadAsync(
        string eventsFile, List<string> tenantIds, int count, CancellationToken cancellationToken)
    {
        await Task.Run(() =>
        {
            using var connection = new DuckDBConnection(
                new DuckDBConnectionStringBuilder { DataSource = eventsFile }.ToString());
            connection.Open();
            Execute(connection, "CREATE TEMP TABLE bench_tenants (idx BIGINT, id VARCHAR)", []);
            for (var i = 0; i < tenantIds.Count; i++)
            {
                Execute(connection, "INSERT INTO bench_tenants VALUES ($idx, $id)",
                    [new DuckDBParameter("idx", (long)i), new DuckDBParameter("id", tenantIds[i])]);
            }

            // Spread evenly over the 30 days (HUGEINT: range x span overflows BIGINT from ~3.5 M events);
            // 20,000 visitors, 200 paths, one status in ten a 404, bytes uniform.
            Execute(connection, """
                INSERT INTO events
                SELECT t.id, 'b' || r.range, $name,
                       $from::TIMESTAMPTZ + to_microseconds((r.range::HUGEINT * $span // $count)::BIGINT),
                       'u' || (hash(r.range) % 20000),
                       json_object('path', '/p/' || (hash(r.range * 7) % 200),
                                   'status', CASE WHEN hash(r.range * 3) % 10 = 0 THEN 404 ELSE 200 END,
                                   'bytes', (hash(r.range * 13) % 100000)::BIGINT)::JSON,
                       $from::TIMESTAMPTZ
                FROM range($count) r JOIN bench_tenants t ON t.idx = r.range % $tenants
                """,
                [new DuckDBParameter("name", EventName), new DuckDBParameter("from", s_from),
                 new DuckDBParameter("span", (long)(s_to - s_from).TotalMicroseconds),
                 new DuckDBParameter("count", (long)count), new DuckDBParameter("tenants", (long)tenantIds.Count)]);
            Execute(connection, "CHECKPOINT", []);
        }, cancellationToken);
    }

    /// <summary>
    /// Median wall time of each side, and its mean CPU time (the whole process: DuckDB's threads, and for the API
    /// also TLS, Kestrel and the client), which moves far less than wall time when other work shares the cores.
    /// </summary>
    private static async Task<((double Ms, double CpuMs) Api, (double Ms, double CpuMs) Sql)>
        InterleavedMediansAsync(int runs, Func<Task> api, Action sql)
    {
        await api();
        sql();
        var apiTimes = new double[runs];
        var sqlTimes = new double[runs];
        TimeSpan apiCpu = default, sqlCpu = default;
        using var process = Process.GetCurrentProcess();
        for (var i = 0; i < runs; i++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            await api();
            apiTimes[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            process.Refresh();
            apiCpu += process.TotalProcessorTime - cpu;
            cpu = process.TotalProcessorTime;
            started = Stopwatch.GetTimestamp();
            sql();
            sqlTimes[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            process.Refresh();
            sqlCpu += process.TotalProcessorTime - cpu;
        }

        return ((Median(apiTimes), apiCpu.TotalMilliseconds / runs),
            (Median(sqlTimes), sqlCpu.TotalMilliseconds / runs));
    }

    private static double Median(double[] times)
    {
        Array.Sort(times);
        var runs = times.Length;
        return runs % 2 == 1 ? times[runs / 2] : (times[(runs / 2) - 1] + times[runs / 2]) / 2;
    }

    private static async Task PostQueryAsync(HttpClient client, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/v1/metrics/query", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"POST /v1/metrics/query answered {(int)response.StatusCode}: {text}");
        }
    }

    private static async Task<long> ApiTotalAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var body = ApiQueries().First().Body;
        using var response = await client.PostAsJsonAsync("/v1/metrics/query", body, cancellationToken);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return json?["series"]?[0]?["total"]?.GetValue<long>()
            ?? throw new InvalidOperationException($"POST /v1/metrics/query answered {(int)response.StatusCode}");
    }

    private static long SqlTotal(DuckDBConnection connection, string tenantId)
    {
        using var command = Command(connection,
            "SELECT count(*) FROM events WHERE tenant_id = $tenant AND name = $name AND ts >= $from AND ts < $to",
            tenantId);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void RunSql(DuckDBConnection connection, string sql, string tenantId)
    {
        using var command = Command(connection, sql, tenantId);
        using var reader = command.ExecuteReader();
        var rows = 0;
        while (reader.Read()) rows++;
        if (rows == 0) throw new InvalidOperationException("A hand-written query returned no rows.");
    }

    private static DuckDBCommand Command(DuckDBConnection connection, string sql, string tenantId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add(new DuckDBParameter("tenant", tenantId));
        command.Parameters.Add(new DuckDBParameter("name", EventName));
        command.Parameters.Add(new DuckDBParameter("from", s_from));
        command.Parameters.Add(new DuckDBParameter("to", s_to));
        return command;
    }

    private static void Execute(DuckDBConnection connection, string sql, IReadOnlyList<DuckDBParameter> parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters) command.Parameters.Add(parameter);
        command.ExecuteNonQuery();
    }

    private static async Task<List<string>> CreateTenantsAsync(
        HttpClient client, int tenants, CancellationToken cancellationToken)
    {
        var key = await LoginAsync(client, "admin:hub", cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/auth/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var whoami = await client.SendAsync(request, cancellationToken);
        var me = await whoami.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        var ids = new List<string> { me!["tenant"]!["id"]!.GetValue<string>() };
        for (var i = 1; i < tenants; i++)
        {
            using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants")
            {
                Content = JsonContent.Create(new JsonObject
                {
                    ["slug"] = $"bench-{i}", ["name"] = $"bench {i}",
                    ["owner"] = new JsonObject { ["username"] = $"owner-{i}" },
                }),
            };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await client.SendAsync(create, cancellationToken);
            var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"POST /v1/tenants answered {(int)response.StatusCode}: {json}");
            ids.Add(json!["id"]!.GetValue<string>());
        }

        return ids;
    }

    private static async Task<string> LoginAsync(HttpClient client, string permission, CancellationToken token)
    {
        var body = new JsonObject
        {
            ["username"] = "admin", ["password"] = AdminPassword, ["permissions"] = new JsonArray(permission),
        };
        using var response = await client.PostAsJsonAsync("/v1/auth/key", body, token);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(token);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"login failed: {(int)response.StatusCode} {json}");
        return json!["key"]!.GetValue<string>();
    }

    private static async Task<RunningHub> StartHubAsync(string dataDir, CancellationToken cancellationToken)
    {
        string[] args =
        [
            $"--Hub:DataDir={dataDir}",
            "--Hub:Urls=https://127.0.0.1:0",
            $"--Hub:Bootstrap:AdminPassword={AdminPassword}",
        ];
        var app = HubApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        // Kept until the hub stops: the handler checks every new connection against it.
        var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDir, "tls", "hub.crt"));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { certificate },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new RunningHub(app, certificate, new HttpClient(handler)
        {
            BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5),
        });
    }

    private sealed record RunningHub(WebApplication App, X509Certificate2 Certificate, HttpClient Client)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Certificate.Dispose();
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }
    }
}

/// <summary>One query's median time through the API and by hand in SQL.</summary>
internal sealed record MetricsBenchRow(string Query, double ApiMs, double SqlMs, double ApiCpuMs, double SqlCpuMs)
{
    public double Ratio => ApiMs / SqlMs;

    public double CpuRatio => ApiCpuMs / SqlCpuMs;
}
