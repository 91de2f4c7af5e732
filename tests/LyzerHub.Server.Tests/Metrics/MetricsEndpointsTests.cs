using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Events;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.DuckDb;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Metrics;

/// <summary>
/// The metrics endpoints on a real Kestrel host. Key authentication belongs to another feature, so a test scheme
/// stands in for it and grants read:metrics in tenant t1.
/// </summary>
public sealed class MetricsEndpointsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_day = new(2024, 3, 4, 0, 0, 0, TimeSpan.Zero);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));
    private readonly string _dataDir =
        Path.Combine(Path.GetTempPath(), "lyzer-metrics-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(s_day);
    private WebApplication? _app;
    private HttpClient? _client;

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
        _timeout.Dispose();
    }

    [Fact]
    public async Task Query_CountByDay_AnswersContractShapeWithIntegers()
    {
        var client = await StartAsync(null);
        var store = _app!.Services.GetRequiredService<IEventStore>();
        await store.AppendAsync(
            [Event("1", s_day.AddHours(5), """{"path":404}"""), Event("2", s_day.AddHours(30), """{"path":404}""")],
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
        var client = await StartAsync(null);

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
        var client = await StartAsync(null);

        using var response = await client.PostAsync(
            "/v1/metrics/query", new StringContent("{\"event\":", System.Text.Encoding.UTF8, "application/json"),
            Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Query_StoreSlowerThanTimeout_Answers504QueryTimeout()
    {
        var store = new HangingStore();
        var client = await StartAsync(store);

        var pending = client.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "e", from = "2024-03-04T00:00:00Z", to = "2024-03-05T00:00:00Z",
        }, Token);
        await store.Entered.Task.WaitAsync(Token);
        _time.Advance(TimeSpan.FromSeconds(31));
        using var response = await pending;
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("query_timeout", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ListEvents_SomeEvents_AnswersNameCountLastSeen()
    {
        var client = await StartAsync(null);
        var store = _app!.Services.GetRequiredService<IEventStore>();
        await store.AppendAsync([Event("1", s_day), Event("2", s_day.AddHours(1))], Token);

        var text = await client.GetStringAsync("/v1/metrics/events", Token);

        Assert.Equal("""{"data":[{"name":"e","count":2,"last_seen":"2024-03-04T01:00:00+00:00"}]}""", text);
    }

    private static StoredEvent Event(string id, DateTimeOffset ts, string properties = "{}") =>
        new("t1", id, "e", ts, null, properties, ts);

    private async Task<HttpClient> StartAsync(IEventStore? store)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.Configure<HubOptions>(o => o.DataDir = _dataDir);
        if (store is null) builder.Services.AddDuckDbEventStore();
        else builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddHubMetrics();
        builder.Services.AddAuthentication(TestScheme.Name)
            .AddScheme<AuthenticationSchemeOptions, TestScheme>(TestScheme.Name, null);
        builder.Services.AddAuthorization(o => o.AddPolicy(
            Permissions.ReadMetrics, p => p.RequireClaim(HubClaims.Permission, Permissions.ReadMetrics)));
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapMetrics();
        await _app.Services.GetRequiredService<IEventStore>().InitializeAsync(Token);
        await _app.StartAsync(Token);
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
        return _client;
    }

    private sealed class TestScheme(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "Test";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var identity = new ClaimsIdentity(
                [new Claim(HubClaims.TenantId, "t1"), new Claim(HubClaims.Permission, Permissions.ReadMetrics)], Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new(identity), Name)));
        }
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

        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
