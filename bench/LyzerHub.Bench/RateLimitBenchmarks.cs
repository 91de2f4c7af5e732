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
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Bench;

/// <summary>
/// What rate limiting adds to an authenticated request (issue 4): the hub's middleware slice after authentication,
/// with ASP.NET Core's rate-limiting middleware and <see cref="HubRateLimiter"/> on the in-memory store, beside the
/// very same slice without it. The parts are measured alone to show where the time goes.
/// </summary>
/// <remarks>
/// The request is one reused <see cref="DefaultHttpContext"/> carrying a key grant, as the authentication handler
/// leaves it; the limits are set so high that every request is granted (the path every normal request takes).
/// </remarks>
[MemoryDiagnoser]
public class RateLimitBenchmarks : IDisposable
{
    private ServiceProvider _services = null!;
    private RequestDelegate _withoutLimiting = null!;
    private RequestDelegate _withLimiting = null!;
    private HubRateLimiter _limiter = null!;
    private IRateLimitStore _store = null!;
    private DefaultHttpContext _context = null!;
    private RateLimitWindow _keyWindow;
    private RateLimitWindow _tenantWindow;

    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
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
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddRateLimits(configuration);
        _services = services.BuildServiceProvider();
        _limiter = _services.GetRequiredService<HubRateLimiter>();
        _store = _services.GetRequiredService<IRateLimitStore>();

        _withoutLimiting = new ApplicationBuilder(_services).Use(Terminal).Build();
        _withLimiting = new ApplicationBuilder(_services).UseRateLimits().Use(Terminal).Build();

        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant(Ids.NewTenantId(), "bench", "bench", now, TenantPolicy.Default);
        var user = new User(Ids.NewUserId(), tenant.Id, "bench", "owner", UserStates.Active, "hash", false, now);
        var key = new KeyRecord(Ids.NewKeyId(), tenant.Id, user.Id, "bench", "lyz_abcd", ["read:metrics"], false, now,
            null, null, null, 0);
        _context = new DefaultHttpContext { RequestServices = _services };
        _context.Connection.RemoteIpAddress = IPAddress.Loopback;
        _context.Features.Set(new KeyGrantFeature(
            new CachedGrant(new KeyGrant(key, null, user, tenant), ["read:metrics"], null, true, now)));
        _keyWindow = new RateLimitWindow(key.Id, 2_000_000_000, 86400);
        _tenantWindow = new RateLimitWindow(tenant.Id, 2_000_000_000, 86400);

        WithLimiting();
        if (_context.Response.Headers[HubRateLimiter.StateHeader].Count != 1 || _context.Response.StatusCode != 200)
            throw new InvalidOperationException("The limited request was not granted with its fields.");
    }

    /// <summary>The request path after authentication, without rate limiting.</summary>
    [Benchmark(Baseline = true)]
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
        GC.SuppressFinalize(this);
    }

    private static RequestDelegate Terminal(RequestDelegate next) => context =>
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return Task.CompletedTask;
    };

    private static void Wait(Task task)
    {
        if (!task.IsCompletedSuccessfully) task.GetAwaiter().GetResult();
    }
}
