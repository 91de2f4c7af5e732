using System.Net;
using System.Threading.RateLimiting;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Keys;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.RateLimits;

/// <summary>The limiter alone, on hand-made requests and the in-memory store, with fake time.</summary>
public sealed class HubRateLimiterTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(s_start);
    private readonly InMemoryRateLimitStore _store;
    private readonly HubRateLimiter _limiter;

    public HubRateLimiterTests()
    {
        _store = new InMemoryRateLimitStore(_time);
        _limiter = new HubRateLimiter(_store, new RateLimitDefaults(new RateLimitOptions()), _time);
    }

    [Fact]
    public async Task Acquire_KeyRequest_BothPoliciesAndTheKeyAsMostConstraining()
    {
        var context = Request(Grant("key_a", "ten_a"));

        using var lease = await _limiter.AcquireAsync(context);

        Assert.True(lease.IsAcquired);
        Assert.Equal("\"key\";q=6000;w=60, \"tenant\";q=30000;w=60",
            context.Response.Headers[HubRateLimiter.PolicyHeader].ToString());
        Assert.Equal("\"key\";r=5999;t=60", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task Acquire_TenantNearerItsLimitThanTheKey_TenantReported()
    {
        var policy = TenantPolicy.Default with { TenantRateLimit = new KeyRateLimit(3, 10) };
        for (var i = 0; i < 2; i++)
            (await _limiter.AcquireAsync(Request(Grant("key_other", "ten_a", policy)))).Dispose();
        _time.Advance(TimeSpan.FromSeconds(2.5));
        var context = Request(Grant("key_a", "ten_a", policy));

        using var lease = await _limiter.AcquireAsync(context);

        Assert.True(lease.IsAcquired);
        Assert.Equal("\"key\";q=6000;w=60, \"tenant\";q=3;w=10",
            context.Response.Headers[HubRateLimiter.PolicyHeader].ToString());
        // 7.5 s are left in the tenant's window; t is rounded up.
        Assert.Equal("\"tenant\";r=0;t=8", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task Acquire_KeysOwnLimitUsedUp_RefusedWithTheRealWaitAndWhoWasRefused()
    {
        var grant = Grant("key_a", "ten_a", keyLimit: new KeyRateLimit(1, 30));
        (await _limiter.AcquireAsync(Request(grant))).Dispose();
        _time.Advance(TimeSpan.FromMilliseconds(10_200));
        var context = Request(grant);

        using var lease = await _limiter.AcquireAsync(context);

        var refused = Assert.IsType<HubRateLimitLease>(lease);
        Assert.False(refused.IsAcquired);
        Assert.Equal(TimeSpan.FromMilliseconds(19_800), refused.RetryAfter);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(19_800), retryAfter);
        Assert.Equal(new RateLimitRejection("ten_a", "key_a", "203.0.113.7", "key", _time.GetUtcNow()),
            refused.Rejection);
        Assert.Equal("\"key\";r=0;t=20", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task Acquire_TenantUsedUpByOtherKeys_RefusedAsTenant()
    {
        var policy = TenantPolicy.Default with { TenantRateLimit = new KeyRateLimit(2, 60) };
        foreach (var key in new[] { "key_a", "key_b" })
            (await _limiter.AcquireAsync(Request(Grant(key, "ten_a", policy)))).Dispose();

        using var minted = await _limiter.AcquireAsync(Request(Grant("key_c", "ten_a", policy)));
        using var otherTenant = await _limiter.AcquireAsync(Request(Grant("key_d", "ten_b", policy)));

        Assert.Equal("tenant", Assert.IsType<HubRateLimitLease>(minted).Rejection!.Policy);
        Assert.True(otherTenant.IsAcquired);
    }

    [Fact]
    public async Task Acquire_LoginEndpointEvenWithAKey_LimitedByAddress()
    {
        var limiter = new HubRateLimiter(_store, new RateLimitDefaults(new RateLimitOptions
        {
            Address = new RateLimitSetting { Requests = 2, WindowSeconds = 60 },
        }), _time);
        var outcomes = new List<bool>();

        for (var i = 0; i < 3; i++)
        {
            using var lease = await limiter.AcquireAsync(Request(Grant("key_a", "ten_a"),
                new AddressRateLimitMetadata(EvenWithKey: true)));
            outcomes.Add(lease.IsAcquired);
        }

        var fromElsewhere = Request(null, new AddressRateLimitMetadata(EvenWithKey: true), "198.51.100.1");
        using var other = await limiter.AcquireAsync(fromElsewhere);
        Assert.Equal([true, true, false], outcomes);
        Assert.True(other.IsAcquired);
        Assert.Equal("\"address\";q=2;w=60", fromElsewhere.Response.Headers[HubRateLimiter.PolicyHeader].ToString());
        Assert.Equal("\"address\";r=1;t=60", fromElsewhere.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task Acquire_RevokeWithAValidKey_LimitedAsTheKeyNotTheAddress()
    {
        var context = Request(Grant("key_a", "ten_a"), new AddressRateLimitMetadata(EvenWithKey: false));

        using var lease = await _limiter.AcquireAsync(context);

        Assert.StartsWith("\"key\";", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task Acquire_KeyThatFailedAuthentication_CountsAgainstTheAddress()
    {
        var limiter = new HubRateLimiter(_store, new RateLimitDefaults(new RateLimitOptions
        {
            FailedAuthentication = new RateLimitSetting { Requests = 2, WindowSeconds = 60 },
        }), _time);
        var outcomes = new List<bool>();

        for (var i = 0; i < 3; i++)
        {
            var context = Request(null);
            context.Request.Headers.Authorization = "Bearer lyz_made_up";
            using var lease = await limiter.AcquireAsync(context);
            outcomes.Add(lease.IsAcquired);
        }

        Assert.Equal([true, true, false], outcomes);
        Assert.True(await limiter.IsFailedAuthenticationExhaustedAsync(Request(null)));
        Assert.False(await limiter.IsFailedAuthenticationExhaustedAsync(Request(null, null, "198.51.100.1")));
    }

    [Fact]
    public async Task Acquire_NoKeyOnAnOrdinaryEndpoint_NotLimitedAndNoFields()
    {
        var context = Request(null);

        using var lease = await _limiter.AcquireAsync(context);

        Assert.True(lease.IsAcquired);
        Assert.False(context.Response.Headers.ContainsKey(HubRateLimiter.PolicyHeader));
        Assert.Equal(0, _store.PartitionCount);
    }

    [Fact]
    public void AttemptAcquire_StoreDecidesAtOnce_DecidedWithoutTheAsynchronousPath()
    {
        var context = Request(Grant("key_a", "ten_a"));

        using var lease = _limiter.AttemptAcquire(context);

        Assert.True(lease.IsAcquired);
        Assert.Equal("\"key\";r=5999;t=60", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Fact]
    public async Task AttemptAcquire_StoreNeedsIo_NotAcquiredNothingTakenAndAcquireAsyncDecides()
    {
        var limiter = new HubRateLimiter(new AsynchronousOnlyStore(_store),
            new RateLimitDefaults(new RateLimitOptions()), _time);
        var context = Request(Grant("key_a", "ten_a"));

        using var attempt = limiter.AttemptAcquire(context);
        var untouched = _store.PartitionCount;
        using var acquired = await limiter.AcquireAsync(context);

        Assert.False(attempt.IsAcquired);
        Assert.Equal(0, untouched);
        Assert.True(acquired.IsAcquired);
        Assert.Equal("\"key\";r=5999;t=60", context.Response.Headers[HubRateLimiter.StateHeader].ToString());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(10_000_000, 1)]
    [InlineData(10_000_001, 2)]
    [InlineData(599_000_000, 60)]
    public void WholeSecondsUp_Ticks_NeverEarlier(long ticks, int seconds) =>
        Assert.Equal(seconds, HubRateLimiter.WholeSecondsUp(TimeSpan.FromTicks(ticks)));

    public void Dispose() => _store.Dispose();

    /// <summary>A store like one across the network: it never decides synchronously.</summary>
    private sealed class AsynchronousOnlyStore(IRateLimitStore inner) : IRateLimitStore
    {
        public async ValueTask<RateLimitDecision> AcquireAsync(
            RateLimitWindow first, RateLimitWindow? second, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return await inner.AcquireAsync(first, second, cancellationToken);
        }

        public bool TryAcquire(RateLimitWindow first, RateLimitWindow? second, out RateLimitDecision decision)
        {
            decision = default;
            return false;
        }

        public ValueTask<RateLimitWindowState> PeekAsync(RateLimitWindow window, CancellationToken cancellationToken) =>
            inner.PeekAsync(window, cancellationToken);
    }

    private static KeyGrant Grant(
        string keyId, string tenantId, TenantPolicy? policy = null, KeyRateLimit? keyLimit = null)
    {
        var tenant = new Tenant(tenantId, tenantId, tenantId, s_start, policy ?? TenantPolicy.Default);
        var user = new User("usr_a", tenantId, "alice", "owner", UserStates.Active, "hash", false, s_start);
        var key = new KeyRecord(keyId, tenantId, user.Id, "k", "lyz_abcd", ["read:metrics"], false, s_start, null,
            null, null, 0, keyLimit);
        return new KeyGrant(key, null, user, tenant);
    }

    private static DefaultHttpContext Request(
        KeyGrant? grant, AddressRateLimitMetadata? metadata = null, string address = "203.0.113.7")
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        if (grant is not null)
            context.Features.Set(new KeyGrantFeature(new CachedGrant(grant, ["read:metrics"], null, true, s_start)));
        if (metadata is not null)
            context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(metadata), "test"));
        return context;
    }
}
