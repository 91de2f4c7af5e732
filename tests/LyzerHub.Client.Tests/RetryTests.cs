using System.Net;
using LyzerHub.Client.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LyzerHub.Client.Tests;

/// <summary>The retry rules against a scripted loopback server (plain HTTP is allowed to loopback only), where
/// each test decides exactly what the "hub" answers.</summary>
public sealed class RetryTests
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Call_503WithRetryAfterInThePast_RetriesAtOnce()
    {
        await using var stub = await StubHub.StartAsync(
            attempt => attempt == 1
                ? Results.Problem(statusCode: 503, extensions: Code("overloaded"))
                : Results.Json(Whoami()),
            retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT");
        var time = new TimerSignalingTimeProvider(DateTimeOffset.UtcNow);
        var client = stub.Client(time);

        var whoami = await client.WhoamiAsync(Timeout);

        Assert.Equal("admin", whoami.User.Username);
        Assert.Equal(2, stub.Attempts);
    }

    [Fact]
    public async Task Call_429WithRetryAfter_WaitsOnTheClockThenRetries()
    {
        await using var stub = await StubHub.StartAsync(
            attempt => attempt == 1
                ? Results.Problem(statusCode: 429, extensions: Code("rate_limited"))
                : Results.Json(Whoami()),
            retryAfter: "3");
        var time = new TimerSignalingTimeProvider(DateTimeOffset.UtcNow);
        var call = stub.Client(time).WhoamiAsync(Timeout);

        await time.WaitForShortTimerAsync(Timeout);
        Assert.False(call.IsCompleted);
        Assert.Equal(1, stub.Attempts);
        time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal("admin", (await call).User.Username);
        Assert.Equal(2, stub.Attempts);
    }

    [Fact]
    public async Task Call_RetryAfterBeyondTheCap_ReturnsARetryableErrorWithoutWaiting()
    {
        await using var stub = await StubHub.StartAsync(
            _ => Results.Problem(statusCode: 429, detail: "Slow down.",
                extensions: new Dictionary<string, object?> { ["code"] = "rate_limited" }),
            retryAfter: "900");
        var client = stub.Client(new TimerSignalingTimeProvider(DateTimeOffset.UtcNow));

        var error = await Assert.ThrowsAsync<LyzerHubException>(() => client.WhoamiAsync(Timeout));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.Status);
        Assert.Equal("rate_limited", error.Code);
        Assert.Equal("Slow down.", error.Detail);
        Assert.True(error.IsRetryable);
        Assert.Equal(TimeSpan.FromSeconds(900), error.RetryAfter);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Call_HubUnreachable_ErrorSaysSoAndIsRetryable()
    {
        var services = new ServiceCollection().AddLyzerHubClient(o =>
        {
            // Port 1 on loopback: nothing listens there, so the connection is refused at once.
            o.HubUrl = new Uri("http://127.0.0.1:1");
            o.Key = "lyz_any";
            o.MaxRetryAttempts = 1;
        });
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<LyzerHubException>(
            () => provider.GetRequiredService<LyzerHubClient>().WhoamiAsync(Timeout));

        Assert.True(error.IsUnreachable);
        Assert.True(error.IsRetryable);
        Assert.Null(error.Status);
    }

    [Theory]
    [InlineData("https://hub.example.com", true)]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://hub.example.com", false)]
    [InlineData("http://10.0.0.5:5443", false)]
    [InlineData("ftp://127.0.0.1", false)]
    public void IsAllowed_PlainHttpOnlyToLoopback(string url, bool allowed) =>
        Assert.Equal(allowed, LyzerHubServiceCollectionExtensions.IsAllowed(new Uri(url)));

    [Fact]
    public void Resolve_PlainHttpToAnotherHost_Refused()
    {
        using var provider = new ServiceCollection()
            .AddLyzerHubClient(o => (o.HubUrl, o.Key) = (new Uri("http://hub.example.com"), "lyz_any"))
            .BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LyzerHubClient>());
    }

    private static Dictionary<string, object?> Code(string code) => new() { ["code"] = code };

    private static object Whoami() => new
    {
        tenant = new { id = "ten_1", slug = "default" },
        user = new { id = "usr_1", username = "admin", role = "owner" },
        key = new
        {
            id = "key_1", name = "login", start = "lyz_abcd", permissions = new[] { "read:metrics" },
            effective_permissions = new[] { "read:metrics" }, expires_at = "2030-01-01T00:00:00Z",
        },
    };

    private sealed class StubHub : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<ServiceProvider> _owned = [];
        private int _attempts;

        private StubHub(WebApplication app) => _app = app;

        public int Attempts => Volatile.Read(ref _attempts);

        private Uri Address => new(_app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());

        public static async Task<StubHub> StartAsync(Func<int, IResult> answer, string retryAfter)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var stub = new StubHub(app);
            app.MapGet("/v1/auth/whoami", (HttpContext context) =>
            {
                var attempt = Interlocked.Increment(ref stub._attempts);
                var result = answer(attempt);
                if (attempt == 1 || result is not IStatusCodeHttpResult { StatusCode: 200 })
                    context.Response.Headers.RetryAfter = retryAfter;
                return result;
            });
            await app.StartAsync();
            return stub;
        }

        public LyzerHubClient Client(TimeProvider time)
        {
            var provider = new ServiceCollection().AddSingleton(time)
                .AddLyzerHubClient(o => (o.HubUrl, o.Key) = (Address, "lyz_any"))
                .BuildServiceProvider();
            _owned.Add(provider);
            return provider.GetRequiredService<LyzerHubClient>();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var provider in _owned) await provider.DisposeAsync();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
