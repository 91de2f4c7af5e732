using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LyzerHub.Server.Events;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.Metrics;

/// <summary>The metrics endpoints on a real hub over HTTPS, with events put straight into its store.</summary>
public sealed class MetricsEndpointsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_day = new(2024, 3, 4, 0, 0, 0, TimeSpan.Zero);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));
    private HubHost? _hub;

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_hub is not null) await _hub.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Query_CountByDay_AnswersContractShapeWithIntegers()
    {
        var (client, tenant) = await StartAsync(null);
        var store = _hub!.Services.GetRequiredService<IEventStore>();
        await store.AppendAsync(
            [Event(tenant, "1", s_day.AddHours(5), """{"path":404}"""),
             Event(tenant, "2", s_day.AddHours(30), """{"path":404}""")],
            Token);

        using var response = await client.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "e", measure = "count", from = "2024-03-04T00:00:00-05:00", to = "2024-03-06T00:00:00-05:00",
            interval = "day", timezone = "America/New_York", breakdown = "path",
        }, Token);
        var text = await response.Content.ReadAsStringAsync(Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("America/New_York", root.GetProperty("timezone").GetString());
        Assert.Equal("2024-03-04T00:00:00-05:00", root.GetProperty("from").GetString());
        var series = Assert.Single(root.GetProperty("series").EnumerateArray().ToList());
        Assert.Equal(JsonValueKind.Number, series.GetProperty("key").ValueKind);
        Assert.Equal("2", series.GetProperty("total").GetRawText());
        Assert.Equal(
            ["2024-03-04T00:00:00-05:00=1", "2024-03-05T00:00:00-05:00=1"],
            series.GetProperty("points").EnumerateArray()
                .Select(p => p.GetProperty("t").GetString() + "=" + p.GetProperty("value").GetRawText()));
    }

    [Fact]
    public async Task Query_InvalidFields_Answers400ListingEach()
    {
        var (client, _) = await StartAsync(null);

        using var response = await client.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "e", measure = "sum", from = "2024-03-04T00:00:00Z", to = "2024-03-03T00:00:00Z",
            timezone = "Nowhere/City",
        }, Token);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        Assert.Equal(
            ["property", "timezone", "to"],
            problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).Order());
    }

    [Fact]
    public async Task Query_MalformedBody_Answers400()
    {
        var (client, _) = await StartAsync(null);

        using var response = await client.PostAsync(
            "/v1/metrics/query", new StringContent("{\"event\":", System.Text.Encoding.UTF8, "application/json"),
            Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Query_StoreSlowerThanTimeout_Answers504QueryTimeout()
    {
        var store = new HangingStore();
        var (client, _) = await StartAsync(store);

        var pending = client.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "e", from = "2024-03-04T00:00:00Z", to = "2024-03-05T00:00:00Z",
        }, Token);
        await store.Entered.Task.WaitAsync(Token);
        _hub!.Time!.Advance(TimeSpan.FromSeconds(31));
        using var response = await pending;
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("query_timeout", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ListEvents_SomeEvents_AnswersNameCountLastSeen()
    {
        var (client, tenant) = await StartAsync(null);
        var store = _hub!.Services.GetRequiredService<IEventStore>();
        await store.AppendAsync([Event(tenant, "1", s_day), Event(tenant, "2", s_day.AddHours(1))], Token);

        var text = await client.GetStringAsync("/v1/metrics/events", Token);

        Assert.Equal("""{"data":[{"name":"e","count":2,"last_seen":"2024-03-04T01:00:00Z"}]}""", text);
    }

    private static StoredEvent Event(string tenant, string id, DateTimeOffset ts, string properties = "{}") =>
        new(tenant, id, "e", ts, null, properties, ts);

    /// <summary>
    /// Starts a hub (with <paramref name="store"/> replacing DuckDB when given) and a read:metrics client.
    /// </summary>
    private async Task<(HttpClient Client, string TenantId)> StartAsync(IEventStore? store)
    {
        _hub = await HubHost.StartAsync(fakeTime: true, services: store is null
            ? null
            : services => services.AddSingleton(store));
        var key = await _hub.LoginKeyAsync(extra: new { permissions = new[] { "read:metrics" } });
        return (_hub.Client(key), await _hub.DefaultTenantIdAsync());
    }

    private sealed class HangingStore : IEventStore
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool[]> AppendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public async Task<MetricResult> QueryAsync(string tenantId, MetricQuery query, CancellationToken token)
        {
            Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        }

        public Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(string tenantId, CancellationToken token) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<StoredEvent> ListEventsAsync(
            string tenantId, EventListQuery query, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
