using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.RateLimits;

/// <summary>
/// The hub's limits as one <see cref="PartitionedRateLimiter{TResource}"/> over requests, run by ASP.NET Core's
/// rate-limiting middleware as its global limiter (PRODUCT.md §4.8). A request with a valid key takes a permit from
/// its key's window and its tenant's together; the auth endpoints take one from the client address's window; a
/// request whose key fails authentication takes one from the address's failed-authentication window. Counters live
/// in an <see cref="IRateLimitStore"/>, which keeps time with the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// The built-in limiters keep their own clock and one limiter object per partition; this one keeps no per-partition
/// objects at all, only the store's counters, which a Redis store can share across nodes. It writes the IETF
/// <c>RateLimit-Policy</c> and <c>RateLimit</c> fields as it decides, because the middleware hands a granted lease to
/// nobody who could write them.
/// </remarks>
public sealed class HubRateLimiter(IRateLimitStore store, RateLimitDefaults defaults, TimeProvider time)
    : PartitionedRateLimiter<HttpContext>
{
    public const string KeyPolicy = "key";
    public const string TenantPolicy = "tenant";
    public const string AddressPolicy = "address";
    public const string FailedAuthenticationPolicy = "failed_authentication";

    public const string PolicyHeader = "RateLimit-Policy";
    public const string StateHeader = "RateLimit";

    // Distinct (key limit, tenant limit) pairs are few; the bound only stops a pathological spread of per-key limits
    // from growing the cache, past which the field is simply built per request.
    private const int MaxCachedPolicyFields = 4096;

    private const string AddressPartitionPrefix = "address:";
    private const string FailedAuthenticationPartitionPrefix = "failed_authentication:";

    private static readonly HubRateLimitLease s_granted = new(true, null, TimeSpan.Zero);

    // See AttemptAcquireCore: never acquired, so the middleware goes on to AcquireAsync, where the decision is made.
    private static readonly HubRateLimitLease s_decidedAsynchronously = new(false, null, TimeSpan.Zero);

    private readonly ConcurrentDictionary<(int, int, int, int), string> _keyTenantPolicyFields = new();
    private readonly string _addressPolicyField = PolicyField(AddressPolicy, defaults.Address);
    private readonly string _failedAuthenticationPolicyField =
        PolicyField(FailedAuthenticationPolicy, defaults.FailedAuthentication);

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    /// <summary>
    /// True when the request's client address has used up its failed-authentication budget: the key check then
    /// answers from its cache only, so made-up keys stop costing store reads.
    /// </summary>
    public ValueTask<bool> IsFailedAuthenticationExhaustedAsync(HttpContext context) =>
        store.IsExhaustedAsync(FailedAuthenticationWindow(ClientAddress(context)), context.RequestAborted);

    /// <summary>
    /// Always "not acquired, decide in <c>AcquireAsync</c>": the counters may live in another process, so a decision
    /// may need I/O, which a synchronous attempt must not block on. ASP.NET Core's middleware follows a failed
    /// attempt with <c>AcquireAsync</c>; with the in-memory store that completes synchronously.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
        s_decidedAsynchronously;

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(
        HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);

        var grant = resource.Features.Get<KeyGrantFeature>()?.Grant.Grant;
        var address = resource.GetEndpoint()?.Metadata.GetMetadata<AddressRateLimitMetadata>();
        if (grant is not null && address is not { EvenWithKey: true })
            return LimitKeyAsync(resource, grant, cancellationToken);
        if (address is not null)
            return LimitAddressAsync(resource, AddressPolicy, cancellationToken);
        // A key was presented and did not authenticate: a lookup (or a cache probe) was spent on it.
        if (resource.Request.Headers.Authorization.Count > 0)
            return LimitAddressAsync(resource, FailedAuthenticationPolicy, cancellationToken);
        return new(s_granted);
    }

    /// <summary>The client address as partitions and the audit see it; IPv4 seen through IPv6 as plain IPv4.</summary>
    internal static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        IPAddress other => other.ToString(),
    };

    /// <summary>Whole seconds rounded up, at least 1: waiting that long is never too early.</summary>
    internal static int WholeSecondsUp(TimeSpan span) =>
        Math.Max(1, (int)Math.Ceiling(span.Ticks / (double)TimeSpan.TicksPerSecond));

    internal static string PolicyField(string policy, KeyRateLimit limit) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{policy}\";q={limit.Requests};w={limit.WindowSeconds}");

    internal static string StateField(string policy, RateLimitWindowState state) =>
        string.Create(CultureInfo.InvariantCulture,
            $"\"{policy}\";r={state.Remaining};t={WholeSecondsUp(state.ResetAfter)}");

    private async ValueTask<RateLimitLease> LimitKeyAsync(
        HttpContext context, KeyGrant grant, CancellationToken cancellationToken)
    {
        var policy = grant.Tenant.Policy;
        var keyLimit = defaults.KeyLimitOf(grant.Key, policy);
        var tenantLimit = defaults.TenantLimitOf(policy);
        var decision = await store.AcquireAsync(
            new RateLimitWindow(grant.Key.Id, keyLimit.Requests, keyLimit.WindowSeconds),
            new RateLimitWindow(grant.Tenant.Id, tenantLimit.Requests, tenantLimit.WindowSeconds),
            cancellationToken);

        // The most constraining policy is reported: fewer permits left, then the longer wait for them.
        var (keyState, tenantState) = (decision.First, decision.Second);
        var keyBinds = keyState.Remaining < tenantState.Remaining
            || keyState.Remaining == tenantState.Remaining && keyState.ResetAfter >= tenantState.ResetAfter;
        var headers = context.Response.Headers;
        headers[PolicyHeader] = KeyTenantPolicyField(keyLimit, tenantLimit);
        headers[StateHeader] = keyBinds ? StateField(KeyPolicy, keyState) : StateField(TenantPolicy, tenantState);
        if (decision.Acquired) return s_granted;

        // Refused: wait for every window that is used up. Both can be, if the key's window is also the tenant's last.
        var keyBlocks = keyState.Remaining == 0;
        var tenantBlocks = tenantState.Remaining == 0;
        var wait = TimeSpan.Zero;
        if (keyBlocks) wait = keyState.ResetAfter;
        if (tenantBlocks && tenantState.ResetAfter > wait) wait = tenantState.ResetAfter;
        var refusedBy = tenantBlocks && (!keyBlocks || tenantState.ResetAfter > keyState.ResetAfter)
            ? TenantPolicy
            : KeyPolicy;
        return new HubRateLimitLease(false,
            new RateLimitRejection(grant.Tenant.Id, grant.Key.Id, ClientAddress(context), refusedBy, time.GetUtcNow()),
            wait);
    }

    private async ValueTask<RateLimitLease> LimitAddressAsync(
        HttpContext context, string policy, CancellationToken cancellationToken)
    {
        var address = ClientAddress(context);
        var failed = policy == FailedAuthenticationPolicy;
        var window = failed ? FailedAuthenticationWindow(address) : AddressWindow(address);
        var decision = await store.AcquireAsync(window, null, cancellationToken);

        var headers = context.Response.Headers;
        headers[PolicyHeader] = failed ? _failedAuthenticationPolicyField : _addressPolicyField;
        headers[StateHeader] = StateField(policy, decision.First);
        return decision.Acquired
            ? s_granted
            : new HubRateLimitLease(false, new RateLimitRejection(null, null, address, policy, time.GetUtcNow()),
                decision.First.ResetAfter);
    }

    private RateLimitWindow AddressWindow(string address) =>
        new(AddressPartitionPrefix + address, defaults.Address.Requests, defaults.Address.WindowSeconds);

    private RateLimitWindow FailedAuthenticationWindow(string address) =>
        new(FailedAuthenticationPartitionPrefix + address, defaults.FailedAuthentication.Requests,
            defaults.FailedAuthentication.WindowSeconds);

    private string KeyTenantPolicyField(KeyRateLimit key, KeyRateLimit tenant)
    {
        var pair = (key.Requests, key.WindowSeconds, tenant.Requests, tenant.WindowSeconds);
        if (_keyTenantPolicyFields.TryGetValue(pair, out var field)) return field;

        field = PolicyField(KeyPolicy, key) + ", " + PolicyField(TenantPolicy, tenant);
        if (_keyTenantPolicyFields.Count < MaxCachedPolicyFields) _keyTenantPolicyFields.TryAdd(pair, field);
        return field;
    }
}

/// <summary>
/// A decision of <see cref="HubRateLimiter"/>. A refused lease carries who was refused and the wait, also as the
/// standard <see cref="MetadataName.RetryAfter"/> metadata.
/// </summary>
public sealed class HubRateLimitLease(bool acquired, RateLimitRejection? rejection, TimeSpan retryAfter)
    : RateLimitLease
{
    private static readonly string[] s_refusedMetadata = [MetadataName.RetryAfter.Name];

    public override bool IsAcquired => acquired;

    public RateLimitRejection? Rejection => rejection;

    /// <summary>The real wait until a permit can be had again; zero when acquired.</summary>
    public TimeSpan RetryAfter => retryAfter;

    public override IEnumerable<string> MetadataNames => rejection is null ? [] : s_refusedMetadata;

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (rejection is not null && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = retryAfter;
            return true;
        }

        metadata = null;
        return false;
    }
}

/// <summary>
/// Marks an endpoint limited per client address (<c>Hub:RateLimits:Address</c>): always, or only when the request
/// carries no valid key (which is then limited as its key and tenant instead).
/// </summary>
public sealed record AddressRateLimitMetadata(bool EvenWithKey);
