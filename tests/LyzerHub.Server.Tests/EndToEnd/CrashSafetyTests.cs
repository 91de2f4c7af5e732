using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// PRODUCT.md §6.1: a 200 means durably committed. The hub runs as its own process, is SIGKILLed while
/// several clients are mid-stream, and is restarted on the same data directory; every acknowledged event must
/// be there exactly once, and nothing may be there twice.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Clients = 4;
    private const int BatchSize = 250;
    private const int AcknowledgedBeforeKill = 24;
    private static readonly DateTimeOffset s_start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "lyzer-crash-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Hub_KilledMidStreamAndRestarted_EveryAcknowledgedEventExactlyOnce()
    {
        var acknowledged = new ConcurrentBag<string>();
        var unacknowledged = new ConcurrentBag<string>();
        int acknowledgedBatches;
        using (var hub = await HubProcess.StartAsync(_dataDir))
        {
            var key = await hub.LoginKeyAsync(["write:events"]);
            var clients = Enumerable.Range(0, Clients).Select(_ => hub.Client(key)).ToList();
            var batches = 0;
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            async Task SendUntilKilledAsync(int client)
            {
                for (var batch = 0; ; batch++)
                {
                    var ids = Enumerable.Range(0, BatchSize).Select(i => $"c{client}-b{batch}-e{i}").ToList();
                    try
                    {
                        using var response = await clients[client].PostAsync("/v1/events", Ndjson(ids, batch));
                        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
                        Assert.True(response.StatusCode == HttpStatusCode.OK, json?.ToJsonString());
                        Assert.Equal(BatchSize, (int)json!["accepted"]!);
                        foreach (var id in ids) acknowledged.Add(id);
                        if (Interlocked.Increment(ref batches) == AcknowledgedBeforeKill) killed.TrySetResult();
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException
                                                  or JsonException)
                    {
                        // The hub died while this request was in flight or before it was sent: not acknowledged.
                        foreach (var id in ids) unacknowledged.Add(id);
                        return;
                    }
                }
            }

            var senders = Enumerable.Range(0, Clients).Select(c => Task.Run(() => SendUntilKilledAsync(c))).ToList();
            await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            hub.Kill();
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(60));
            acknowledgedBatches = Volatile.Read(ref batches);
        }

        output.WriteLine($"{acknowledgedBatches} batches acknowledged, {unacknowledged.Count / BatchSize} cut off");
        Assert.True(acknowledgedBatches >= AcknowledgedBeforeKill);

        // Restarting proves the killed hub's lock file does not hold the data directory.
        using var restarted = await HubProcess.StartAsync(_dataDir);
        var reader = restarted.Client(await restarted.LoginKeyAsync(["read:events", "read:metrics", "write:events"]));
        var stored = await ExportIdsAsync(reader);
        var count = await CountAsync(reader);

        var storedSet = stored.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(stored.Count, storedSet.Count); // nothing twice
        Assert.Equal(stored.Count, count);
        Assert.Subset(storedSet, acknowledged.ToHashSet(StringComparer.Ordinal)); // nothing acknowledged lost
        var sent = acknowledged.Concat(unacknowledged).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(sent, storedSet);

        // A client retrying its cut-off batch after the restart gets each event in exactly once.
        var retried = unacknowledged.Order(StringComparer.Ordinal).ToList();
        using var retry = await reader.PostAsync("/v1/events", Ndjson(retried, 0));
        var retryJson = await retry.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(retried.Count(storedSet.Contains), (int)retryJson!["duplicates"]!);
        Assert.Equal(acknowledged.Count + unacknowledged.Count, await CountAsync(reader));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // The temp folder is cleaned anyway.
        }
    }

    private static StringContent Ndjson(IEnumerable<string> ids, int batch)
    {
        var body = new StringBuilder();
        var i = 0;
        foreach (var id in ids)
        {
            var timestamp = s_start.AddSeconds(batch).AddMilliseconds(i++).ToString("O");
            body.Append(new JsonObject
            {
                ["id"] = id, ["name"] = "crash_probe", ["timestamp"] = timestamp,
                ["properties"] = new JsonObject { ["n"] = i },
            }.ToJsonString()).Append('\n');
        }

        return new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson");
    }

    private static async Task<List<string>> ExportIdsAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            "/v1/events?name=crash_probe&from=2025-01-01T00:00:00Z&to=2027-01-01T00:00:00Z");
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = new List<string>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0) continue;
            ids.Add((string)JsonNode.Parse(line)!["id"]!);
        }

        return ids;
    }

    private static async Task<long> CountAsync(HttpClient client)
    {
        var result = await SeedFlowTests.QueryAsync(client, new
        {
            @event = "crash_probe", measure = "count", from = "2025-01-01T00:00:00Z", to = "2027-01-01T00:00:00Z",
        });
        return (long)result["series"]![0]!["total"]!;
    }
}
