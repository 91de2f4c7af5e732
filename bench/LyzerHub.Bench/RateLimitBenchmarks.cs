using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Keys;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Bench;

/// <summary>
/// What rate limiting adds to an authenticated request (issue 4), measured two ways in one run. First the request
/// path the hub runs in process for a key: a request scope, ASP.NET Core authentication with the hub's key handler
/// (a cache hit on a real SQLite control store), then the answer; with and without ASP.NET Core's rate-limiting
/// middleware and <see cref="HubRateLimiter"/> between them. Then the slice after authentication alone, on one
/// reused request that already carries its key's grant, so the limiter's own cost is not hidden by the rest. The
/// parts are measured alone to show where the time goes.
/// </summary>
/// <remarks>
/// The limits are set so high that every request is granted: the path every normal request takes. Kestrel, TLS
/// and routing are not in either path; they cost the same with or without limiting.
/// </remarks>
[MemoryDiagnoser]
public class RateLimitBenchmarks : IDisposable
{
    private TempDirectory? _directory;
    private ServiceProvider _services = null!;
    private IServiceScopeFactory _scopes = null!;
    private RequestDelegate _authenticatedWithoutLimiting = null!;
    private RequestDelegate _authenticatedWithLimiting = null!;
    private string _authorization = null!;
    private RequestDelegate _withoutLimiting = null!;
    private RequestDelegate _withLimiting = null!;
    private HubRateLimiter _limiter = null!;
    private IRateLimitStore _store = null!;
    private DefaultHttpContext _context = null!;
    private RateLimitWindow _keyWindow;
    private RateLimitWindow _tenantWindow;

    /// <summary>
    /// A short run in this process with ten iterations instead of three: the whole-request cases are a few
    /// microseconds on a shared machine, and three samples of those are mostly noise.
    /// </summary>
    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("ShortRun10-InProcess"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<RateLimitBenchmarks>(config, args);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:RateLimits:Key:Requests"] = "2000000000",
            ["Hub:RateLimits:Key:WindowSeconds"] = "86400",
            ["Hub:RateLimits:Tenant:Requests"] = "2000000000",
            ["Hub:RateLimits:Tenant:WindowSeconds"] = "86400",
        }).Build();
        _directory = new TempDirectory("lyzer-ratelimit-");
        var store = new SqliteControlStore(Path.Combine(_directory.Path, "control.db"),
            LyzerHub.Server.Audit.AuditChainKey.LoadOrCreate(_directory.Path));
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IControlStore>(store);
        services.AddHubAuth();
        services.AddKeys(configuration);
        services.AddRateLimits(configuration);
        _services = services.BuildServiceProvider();
        _scopes = _services.GetRequiredService<IServiceScopeFactory>();
        _limiter = _services.GetRequiredService<HubRateLimiter>();
        _store = _services.GetRequiredService<IRateLimitStore>();

        _withoutLimiting = new ApplicationBuilder(_services).Use(Terminal).Build();
        _withLimiting = new ApplicationBuilder(_services).UseRateLimits().Use(Terminal).Build();
        _authenticatedWithoutLimiting = new ApplicationBuilder(_services).UseAuthentication().Use(Terminal).Build();
        _authenticatedWithLimiting = new ApplicationBuilder(_services).UseAuthentication().UseRateLimits()
            .Use(Terminal).Build();

        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant(Ids.NewTenantId(), "bench", "bench", now, TenantPolicy.Default);
        var user = new User(Ids.NewUserId(), tenant.Id, "bench", "owner", UserStates.Active, "hash", false, now);
        store.CreateTenantAsync(tenant, user, [], CancellationToken.None).GetAwaiter().GetResult();
        var issued = _services.GetRequiredService<KeyService>().IssueAsync(user, "bench", ["read:metrics"],
            TimeSpan.FromDays(1), isLoginKey: false, LyzerHub.Server.Audit.AuditActor.System,
            CancellationToken.None).GetAwaiter().GetResult();
        _authorization = "Bearer " + issued.PlainKey;
        var key = issued.Record;
        _context = new DefaultHttpContext { RequestServices = _services };
        _context.Connection.RemoteIpAddress = IPAddress.Loopback;
        _context.Features.Set(new KeyGrantFeature(
            new CachedGrant(new KeyGrant(key, null, user, tenant), ["read:metrics"], null, true, now)));
        _keyWindow = new RateLimitWindow(key.Id, 2_000_000_000, 86400);
        _tenantWindow = new RateLimitWindow(tenant.Id, 2_000_000_000, 86400);

        WithLimiting();
        if (_context.Response.Headers[HubRateLimiter.StateHeader].Count != 1 || _context.Response.StatusCode != 200)
            throw new InvalidOperationException("The limited request was not granted with its fields.");
        if (!Authenticated(_authenticatedWithLimiting).StartsWith("\"key\";r=", StringComparison.Ordinal))
            throw new InvalidOperationException("The authenticated request was not limited as its key.");
    }

    /// <summary>A key's request in process: scope, authentication (cache hit), answer. No limiting.</summary>
    [Benchmark(Baseline = true)]
    public string AuthenticatedWithoutLimiting() => Authenticated(_authenticatedWithoutLimiting);

    /// <summary>The same request with UseRateLimiter and HubRateLimiter after authentication.</summary>
    [Benchmark]
    public string AuthenticatedWithLimiting() => Authenticated(_authenticatedWithLimiting);

    /// <summary>The slice after authentication, without rate limiting: next to nothing.</summary>
    [Benchmark]
    public void WithoutLimiting() => Wait(_withoutLimiting(_context));

    /// <summary>The same path through UseRateLimiter and HubRateLimiter: what an authenticated request pays.</summary>
    [Benchmark]
    public void WithLimiting() => Wait(_withLimiting(_context));

    /// <summary>The limiter alone: partition choice, the store, both fields.</summary>
    [Benchmark]
    public bool PartLimiter()
    {
        var lease = _limiter.AcquireAsync(_context);
        return (lease.IsCompletedSuccessfully ? lease.Result : lease.AsTask().GetAwaiter().GetResult()).IsAcquired;
    }

    /// <summary>The in-memory store alone: one permit from a key's and a tenant's window.</summary>
    [Benchmark]
    public bool PartStore() => _store.AcquireAsync(_keyWindow, _tenantWindow, CancellationToken.None).Result.Acquired;

    /// <summary>Formatting the one field that changes per request (the policy field is cached).</summary>
    [Benchmark]
    public string PartStateField() =>
        HubRateLimiter.StateField(HubRateLimiter.KeyPolicy, new RateLimitWindowState(5999, TimeSpan.FromSeconds(59.5)));

    [GlobalCleanup]
    public void Dispose()
    {
        _services?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory?.Dispose();
        _directory = null;
        GC.SuppressFinalize(this);
    }

    // An answer's status and content type, as every real answer sets them (and so its response headers exist,
    // as Kestrel's always do, in the baseline too).
    private static RequestDelegate Terminal(RequestDelegate next) => context =>
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        return Task.CompletedTask;
    };

    /// <summary>One request through <paramref name="pipeline"/>, as Kestrel runs it: own scope and context.</summary>
    private string Authenticated(RequestDelegate pipeline)
    {
        using var scope = _scopes.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers.Authorization = _authorization;
        Wait(pipeline(context));
        if (context.Response.StatusCode != StatusCodes.Status200OK || context.User.Identity?.IsAuthenticated != true)
            throw new InvalidOperationException("The request was not authenticated and answered.");
        return context.Response.Headers[HubRateLimiter.StateHeader].ToString();
    }

    private static void Wait(Task task)
    {
        if (!task.IsCompletedSuccessfully) task.GetAwaiter().GetResult();
    }
}
