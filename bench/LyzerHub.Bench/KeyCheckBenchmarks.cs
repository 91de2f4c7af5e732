using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;

namespace LyzerHub.Bench;

/// <summary>
/// A key check on a cache hit against the same check that goes to the store every time (issue 3: under 1 µs
/// and no allocation on a hit). Both run on one real SQLite control store in a temporary directory.
/// </summary>
[MemoryDiagnoser]
public class KeyCheckBenchmarks : IDisposable
{
    private TempDirectory? _directory;
    private SqliteControlStore _store = null!;
    private KeyService _cached = null!;
    private readonly KeyCache _cache = new();
    private ReadOnlyMemory<char> _key;
    private KeyHash _hash;

    /// <summary>
    /// A short run in this process: a few seconds per case is plenty for a sub-microsecond method and a store
    /// read, and running in-process skips building a child project on a shared two-core machine.
    /// </summary>
    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<KeyCheckBenchmarks>(config, args);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = new TempDirectory("lyzer-keycheck-");
        _store = new SqliteControlStore(Path.Combine(_directory.Path, "control.db"),
            LyzerHub.Server.Audit.AuditChainKey.LoadOrCreate(_directory.Path));
        _store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        var now = DateTimeOffset.UtcNow;
        var tenant = new Tenant(Ids.NewTenantId(), "bench", "bench", now, TenantPolicy.Default);
        var user = new User(Ids.NewUserId(), tenant.Id, "bench", "owner", UserStates.Active, "not-a-hash", false,
            now);
        _store.CreateTenantAsync(tenant, user, [], CancellationToken.None).GetAwaiter().GetResult();

        _cached = new KeyService(_store, _cache, TimeProvider.System);
        var issued = _cached.IssueAsync(user, "bench", ["read:metrics", "write:events"], TimeSpan.FromDays(1),
            isLoginKey: false, LyzerHub.Server.Audit.AuditActor.System, CancellationToken.None)
            .GetAwaiter().GetResult();
        _key = issued.PlainKey.AsMemory();
        _hash = KeyFormat.Hash(_key.Span);
        if (CacheHit() is null || StoreLookup() is null)
            throw new InvalidOperationException("The benchmark key is not active.");
    }

    /// <summary>What every authenticated request costs once its key is cached.</summary>
    [Benchmark]
    public CachedGrant? CacheHit() => Wait(_cached.FindActiveAsync(_key, CancellationToken.None));

    /// <summary>The same check with an empty cache each time: checksum, hash and a SQLite read.</summary>
    [Benchmark(Baseline = true)]
    public CachedGrant? StoreLookup() =>
        Wait(new KeyService(_store, new KeyCache(), TimeProvider.System).FindActiveAsync(_key, CancellationToken.None));

    // The parts of a hit, measured alone, to show where its time goes.

    [Benchmark]
    public bool PartChecksum() => KeyFormat.IsWellFormed(_key.Span);

    [Benchmark]
    public KeyHash PartSha256() => KeyFormat.Hash(_key.Span);

    [Benchmark]
    public bool PartCacheProbe() => _cache.TryGet(_hash, TimeProvider.System.GetUtcNow(), out _);

    [GlobalCleanup]
    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory?.Dispose();
        _directory = null;
        GC.SuppressFinalize(this);
    }

    // A cache hit completes synchronously; reading Result then costs no Task, so none is counted as allocated.
    private static CachedGrant? Wait(ValueTask<CachedGrant?> check) =>
        check.IsCompletedSuccessfully ? check.Result : check.AsTask().GetAwaiter().GetResult();
}
