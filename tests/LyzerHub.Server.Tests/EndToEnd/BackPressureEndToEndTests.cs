using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Events;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.DuckDb;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// PRODUCT.md §4.7 and issue 5: when the writer falls behind, new requests get 503 overloaded with Retry-After, never
/// a silent drop. Through the real hub over HTTPS with the real DuckDB store; the only addition is a gate in front of
/// the store's append, so the writer can be held busy for as long as the test needs.
/// </summary>
public sealed class BackPressureEndToEndTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Ingest_WriterHeldAndQueueFull_OneRequest503WithRetryAfterTheOthersCommitted()
    {
        var gate = new AppendGate();
        await using var hub = await HubHost.StartAsync(false, services =>
            {
                services.AddSingleton<DuckDbEventStore>();
                services.AddSingleton<IEventStore>(sp => new GatedEventStore(sp.GetRequiredService<DuckDbEventStore>(),
                    gate));
            },
            "--Hub:Events:QueueCapacity=1", "--Hub:Events:RetryAfterSeconds=2");
        var client = hub.Client(await hub.LoginKeyAsync(
            extra: new { permissions = new[] { "write:events", "read:events" } }));

        // The first request is taken by the writer and held at the gate; one more fits the queue, a third does not.
        var first = client.PostAsJsonAsync("/v1/events", new { id = "bp-a", name = "bp" });
        await gate.Entered.Task.WaitAsync(s_timeout);
        var second = client.PostAsJsonAsync("/v1/events", new { id = "bp-b", name = "bp" });
        var third = client.PostAsJsonAsync("/v1/events", new { id = "bp-c", name = "bp" });
        var refused = await Task.WhenAny(second, third).WaitAsync(s_timeout);
        gate.Open();
        using var answers = new Answers(await Task.WhenAll(first, second, third).WaitAsync(s_timeout));
        var stored = await StoredIdsAsync(client);

        Assert.Equal(HttpStatusCode.OK, answers.All[0].StatusCode);
        using var overloaded = await refused;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, overloaded.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), overloaded.Headers.RetryAfter?.Delta);
        var problem = await overloaded.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(ProblemCodes.Overloaded, (string)problem!["code"]!);
        var queued = ReferenceEquals(refused, second) ? answers.All[2] : answers.All[1];
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        var refusedId = ReferenceEquals(refused, second) ? "bp-b" : "bp-c";
        Assert.Equal(new[] { "bp-a", "bp-b", "bp-c" }.Where(id => id != refusedId).Order(), stored.Order());

        // What was refused is accepted when sent again, as Retry-After promises.
        using var retried = await client.PostAsJsonAsync("/v1/events", new { id = refusedId, name = "bp" });
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (int)(await retried.Content.ReadFromJsonAsync<JsonObject>())!["accepted"]!);
    }

    private static async Task<List<string>> StoredIdsAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonObject>(
            "/v1/events?name=bp&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z");
        return page!["data"]!.AsArray().Select(e => (string)e!["id"]!).ToList();
    }

    private sealed class Answers(HttpResponseMessage[] all) : IDisposable
    {
        public HttpResponseMessage[] All { get; } = all;

        public void Dispose()
        {
            foreach (var answer in All) answer.Dispose();
        }
    }

    /// <summary>Holds every append until opened; says when the first one has arrived.</summary>
    private sealed class AppendGate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public Task WaitAsync(CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            return _open.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The real store with the gate in front of its appends; all else passes straight through.</summary>
    private sealed class GatedEventStore(DuckDbEventStore store, AppendGate gate) : IEventStore
    {
        public Task InitializeAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

        public async Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken);
            return await store.AppendAsync(events, cancellationToken);
        }

        public Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken cancellationToken) =>
            store.QueryAsync(tenantId, query, cancellationToken);

        public Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(
            string tenantId, CancellationToken cancellationToken) =>
            store.ListEventNamesAsync(tenantId, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ListEventsAsync(
            string tenantId, EventListQuery query, CancellationToken cancellationToken) =>
            store.ListEventsAsync(tenantId, query, cancellationToken);

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => store.IsReadyAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the container disposes the real store
    }
}
