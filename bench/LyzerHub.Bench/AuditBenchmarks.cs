using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace LyzerHub.Bench;

/// <summary>
/// What auditing costs (issue 4), in one run on one real SQLite control store:
/// an audited state change (a role change, the audit entry appended in its transaction) against the same
/// statements in the same kind of transaction without the entry; and the in-memory recorder a denied request
/// pays instead of a store write, against a request that records nothing.
/// </summary>
[MemoryDiagnoser]
public class AuditBenchmarks : IDisposable
{
    private static readonly string[] s_roles = ["member", "viewer"];

    private TempDirectory? _directory;
    private SqliteControlStore _store = null!;
    private string _connectionString = null!;
    private Tenant _tenant = null!;
    private User _user = null!;
    private AuditRecorder _recorder = null!;
    private AuditChainKey _key = null!;
    private DefaultHttpContext _denied = null!;
    private AuditEntry _entry = null!;
    private int _audited;
    private int _plain;

    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<AuditBenchmarks>(config, args);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = new TempDirectory("lyzer-audit-");
        var path = Path.Combine(_directory.Path, "control.db");
        _key = new AuditChainKey(RandomNumberGenerator.GetBytes(32));
        _store = new SqliteControlStore(path, _key);
        _store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = SqliteOpenMode.ReadWrite, Cache = SqliteCacheMode.Private, DefaultTimeout = 30,
        }.ToString();

        var now = DateTimeOffset.UtcNow;
        _tenant = new Tenant(Ids.NewTenantId(), "bench", "bench", now, TenantPolicy.Default);
        var owner = new User(Ids.NewUserId(), _tenant.Id, "owner", "owner", UserStates.Active, "x", false, now);
        _store.CreateTenantAsync(_tenant, owner, [], CancellationToken.None).GetAwaiter().GetResult();
        // Two users, one per case, so each case toggles its own row and neither sees the other's expected role.
        _user = new User(Ids.NewUserId(), _tenant.Id, "audited", "member", UserStates.Active, "x", false, now);
        var plainUser = _user with { Id = "usr_plainplainplainplain", Username = "plain" };
        foreach (var user in new[] { _user, plainUser })
        {
            var created = AuditActor.System.Draft(now, _tenant.Id, AuditActions.UserCreated, user.Id);
            _store.CreateUserAsync(user, created, CancellationToken.None).GetAwaiter().GetResult();
        }

        _recorder = new AuditRecorder(TimeProvider.System, Options.Create(new AuditOptions()));
        _denied = new DefaultHttpContext();
        _denied.Connection.RemoteIpAddress = IPAddress.Loopback;
        _denied.Request.Headers.UserAgent = "bench/1.0";
        _denied.User = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(HubClaims.TenantId, _tenant.Id), new Claim(HubClaims.UserId, _user.Id),
            new Claim(HubClaims.KeyId, "key_benchbenchbenchbench"),
        ], "bench"));
        _entry = new AuditEntry(Ids.New("aud_"), _tenant.Id, 42, now, _tenant.Id, _user.Id, "key_x",
            AuditActions.KeyRevoked, "key_y", "127.0.0.1", "bench/1.0", "0HN:00000001", "success", 1, null, null,
            AuditChains.Genesis, "");
    }

    /// <summary>The product's role change: read the user, update the role, append the audit entry, commit.</summary>
    [Benchmark]
    public UserChangeOutcome RoleChangeAudited()
    {
        var (from, to) = (s_roles[_audited % 2], s_roles[(_audited + 1) % 2]);
        _audited++;
        var audit = AuditActor.System.Draft(DateTimeOffset.UtcNow, _tenant.Id, AuditActions.UserRoleChanged,
            _user.Id, detail: $"role: {from} -> {to}");
        return _store.ChangeUserRoleAsync(_tenant.Id, _user.Id, from, to, audit, CancellationToken.None)
            .GetAwaiter().GetResult();
    }

    /// <summary>The same statements in the same BEGIN IMMEDIATE transaction, with no audit entry.</summary>
    [Benchmark(Baseline = true)]
    public int RoleChangeWithoutAudit()
    {
        var to = s_roles[(_plain + 1) % 2];
        _plain++;
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT u.id, u.tenant_id, u.username, u.role, u.state, u.password_hash, " +
                "u.is_operator, u.created_at FROM users u WHERE u.tenant_id = $tenant AND u.id = $id";
            read.Parameters.AddWithValue("$tenant", _tenant.Id);
            read.Parameters.AddWithValue("$id", "usr_plainplainplainplain");
            using var reader = read.ExecuteReader();
            reader.Read();
            _ = reader.GetString(3);
        }

        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE users SET role = $role WHERE tenant_id = $tenant AND id = $id";
        update.Parameters.AddWithValue("$role", to);
        update.Parameters.AddWithValue("$tenant", _tenant.Id);
        update.Parameters.AddWithValue("$id", "usr_plainplainplainplain");
        var changed = update.ExecuteNonQuery();
        transaction.Commit();
        return changed;
    }

    /// <summary>What a denied request pays for its audit entry: one group lookup and an interlocked add.</summary>
    [Benchmark]
    public long DenialRecorded()
    {
        _recorder.RecordPermissionDenied(_denied, "read:audit");
        return _recorder.Dropped;
    }

    /// <summary>The HMAC-SHA256 seal of one entry, the cryptographic part of every append.</summary>
    [Benchmark]
    public string SealOneEntry() => _key.Seal(_entry);

    [GlobalCleanup]
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory?.Dispose();
        _directory = null;
        GC.SuppressFinalize(this);
    }
}
