using System.Globalization;
using System.Text;
using System.Text.Json;
using LyzerHub.Server.Events;

namespace LyzerHub.Bench;

/// <summary>
/// Access-log-like events (PRODUCT.md §5): the same content for both sides of the benchmark, with fresh ids every
/// time they are materialised so nothing is ever a duplicate.
/// </summary>
internal sealed class SyntheticEvents
{
    public const string EventName = "http_request";

    private static readonly string[] s_methods = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"];
    private static readonly int[] s_statuses = [200, 200, 200, 200, 200, 200, 304, 301, 404, 500];

    private static readonly string[] s_paths =
    [
        "/", "/index.html", "/about", "/pricing", "/blog", "/blog/2026/11/launch", "/docs/getting-started",
        "/docs/api/events", "/login", "/logout", "/api/v1/orders", "/api/v1/orders/{0}", "/static/app.{0}.js",
        "/static/site.css", "/images/logo.png", "/favicon.ico", "/search?q=term{0}", "/products/{0}",
    ];

    private static readonly string[] s_userAgents =
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            + "Version/18.1 Mobile/15E148 Safari/604.1",
        "curl/8.11.0",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    ];

    private readonly Row[] _rows;

    public SyntheticEvents(int count, DateTimeOffset now)
    {
        // A fixed seed keeps the content identical between runs; only the ids change.
        var random = new Random(20261203);
        var start = now.AddDays(-2);
        // Half a second apart, closer for large runs so that the last event is never in the future (the hub
        // rejects timestamps more than an hour ahead, which once made a 1,000,000-event run invalid).
        var spacingMs = Math.Min(500.0, TimeSpan.FromDays(2).TotalMilliseconds / count);
        _rows = new Row[count];
        for (var i = 0; i < count; i++)
        {
            var ip = string.Create(CultureInfo.InvariantCulture,
                $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}");
            var path = string.Format(CultureInfo.InvariantCulture,
                s_paths[random.Next(s_paths.Length)], random.Next(100_000));
            var properties = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["ip"] = ip,
                ["method"] = s_methods[random.Next(s_methods.Length)],
                ["path"] = path,
                ["status"] = s_statuses[random.Next(s_statuses.Length)],
                ["bytes"] = random.Next(120, 250_000),
                ["user_agent"] = s_userAgents[random.Next(s_userAgents.Length)],
            });
            _rows[i] = new Row(start.AddMilliseconds(i * spacingMs), ip, properties);
        }
    }

    public int Count => _rows.Length;

    /// <summary>The events as the hub's writer would hand them to the store, in batches.</summary>
    public List<StoredEvent[]> ToStoreBatches(string tenantId, int batchSize, DateTimeOffset receivedAt)
    {
        var batches = new List<StoredEvent[]>();
        for (var offset = 0; offset < _rows.Length; offset += batchSize)
        {
            var batch = new StoredEvent[Math.Min(batchSize, _rows.Length - offset)];
            for (var i = 0; i < batch.Length; i++)
            {
                var row = _rows[offset + i];
                batch[i] = new StoredEvent(
                    tenantId, NewId(), EventName, row.Timestamp, row.Ip, row.PropertiesJson, receivedAt);
            }

            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>The events as NDJSON request bodies (UTF-8), built before timing starts.</summary>
    public List<byte[]> ToNdjsonBodies(int batchSize)
    {
        var bodies = new List<byte[]>();
        var text = new StringBuilder();
        for (var offset = 0; offset < _rows.Length; offset += batchSize)
        {
            text.Clear();
            for (var i = offset; i < Math.Min(offset + batchSize, _rows.Length); i++)
            {
                var row = _rows[i];
                var timestamp = row.Timestamp.UtcDateTime.ToString(
                    "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                text.Append(CultureInfo.InvariantCulture,
                    $$"""{"id":"{{NewId()}}","name":"{{EventName}}","distinct_id":"{{row.Ip}}",""")
                    .Append(CultureInfo.InvariantCulture,
                        $$"""
                        "timestamp":"{{timestamp}}","properties":{{row.PropertiesJson}}}
                        """)
                    .Append('\n');
            }

            bodies.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }

        return bodies;
    }

    private static string NewId() => "bench_" + Guid.NewGuid().ToString("N");

    private sealed record Row(DateTimeOffset Timestamp, string Ip, string PropertiesJson);
}
