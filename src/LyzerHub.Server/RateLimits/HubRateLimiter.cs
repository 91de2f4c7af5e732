using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
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

    // See AttemptAcquireCore: taken nothing, so the middleware goes on to AcquireAsync, where the store decides.
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
    public async ValueTask<bool> IsFailedAuthenticationExhaustedAsync(HttpContext context) =>
        (await store.PeekAsync(FailedAuthenticationWindow(ClientAddress(context)), context.RequestAborted))
        .Remaining == 0;

    /// <summary>
    /// Writes a key request's fields again, from the counters as they stand, without taking a permit: for answers
    /// whose headers were cleared after the limiter ran (ASP.NET Core's exception handler clears them before the
    /// 500). Only requests with a valid key: the handler has also cleared the endpoint, so an address-limited
    /// endpoint could no longer be told apart.
    /// </summary>
    public async ValueTask RewriteFieldsAsync(HttpContext context)
    {
        var plan = Plan(context);
        if (plan.Grant is null) return;

        var first = await store.PeekAsync(plan.First, context.RequestAborted);
        var second = plan.Second is { } window ? await store.PeekAsync(window, context.RequestAborted) : default;
        // Acquired or not makes no difference to the fields; only a refusal's lease would differ, and none is made.
        Decide(context, plan, new RateLimitDecision(true, first, second));
    }

    /// <summary>
    /// Decides at once when the store can without I/O (the in-memory store always can). A store that cannot answers
    /// "not acquired" having taken nothing, and ASP.NET Core's middleware then asks <c>AcquireAsync</c>, which
    /// decides for real. This limiter never queues, so after a refusal that second ask is simply another attempt.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);

        var plan = Plan(resource);
        if (plan.Policy is null) return s_granted;
        return store.TryAcquire(plan.First, plan.Second, out var decision)
            ? Decide(resource, plan, decision)
            : s_decidedAsynchronously;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(
        HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);

        var plan = Plan(resource);
        if (plan.Policy is null) return s_granted;
        return Decide(resource, plan, await store.AcquireAsync(plan.First, plan.Second, cancellationToken));
    }

    /// <summary>The client address as partitions and the audit see it; IPv4 seen through IPv6 as plain IPv4.</summary>
    internal static string ClientAddress(HttpContext context) =>
        ClientAddresses.Of(context.Connection.RemoteIpAddress) ?? "unknown";

    /// <summary>Whole seconds rounded up, at least 1: waiting that long is never too early.</summary>
    public static int WholeSecondsUp(TimeSpan span) =>
        Math.Max(1, (int)Math.Ceiling(span.Ticks / (double)TimeSpan.TicksPerSecond));

    public static string PolicyField(string policy, KeyRateLimit limit) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{policy}\";q={limit.Requests};w={limit.WindowSeconds}");

    public static string StateField(string policy, RateLimitWindowState state) =>
        string.Create(CultureInfo.InvariantCulture,
            $"\"{policy}\";r={state.Remaining};t={WholeSecondsUp(state.ResetAfter)}");

    /// <summary>Which limits apply to the request, as windows; no policy when none does.</summary>
    private LimitPlan Plan(HttpContext context)
    {
        var grant = context.Features.Get<KeyGrantFeature>()?.Grant.Grant;
        var address = context.GetEndpoint()?.Metadata.GetMetadata<AddressRateLimitMetadata>();
        if (grant is not null && address is not { EvenWithKey: true })
        {
            var policy = grant.Tenant.Policy;
            var keyLimit = defaults.KeyLimitOf(grant.Key, policy);
            var tenantLimit = defaults.TenantLimitOf(policy);
            return new LimitPlan(KeyPolicy, grant, keyLimit, tenantLimit,
                new RateLimitWindow(grant.Key.Id, keyLimit.Requests, keyLimit.WindowSeconds),
                new RateLimitWindow(grant.Tenant.Id, tenantLimit.Requests, tenantLimit.WindowSeconds));
        }

        if (address is not null)
            return new LimitPlan(AddressPolicy, null, null, null, AddressWindow(ClientAddress(context)), null);
        // A key was presented and did not authenticate: a lookup (or a cache probe) was spent on it.
        if (context.Request.Headers.Authorization.Count > 0)
        {
            return new LimitPlan(FailedAuthenticationPolicy, null, null, null,
                FailedAuthenticationWindow(ClientAddress(context)), null);
        }

        return default;
    }

    private RateLimitLease Decide(HttpContext context, in LimitPlan plan, RateLimitDecision decision)
    {
        var headers = context.Response.Headers;
        if (plan.Grant is not { } grant)
        {
            var failed = plan.Policy == FailedAuthenticationPolicy;
            headers[PolicyHeader] = failed ? _failedAuthenticationPolicyField : _addressPolicyField;
            headers[StateHeader] = StateField(plan.Policy!, decision.First);
            return decision.Acquired
                ? s_granted
                : new HubRateLimitLease(false,
                    new RateLimitRejection(null, null, ClientAddress(context), plan.Policy!, time.GetUtcNow()),
                    decision.First.ResetAfter);
        }

        // The most constraining policy is reported: fewer permits left, then the longer wait for them.
        var (keyState, tenantState) = (decision.First, decision.Second);
        var keyBinds = keyState.Remaining < tenantState.Remaining
            || keyState.Remaining == tenantState.Remaining && keyState.ResetAfter >= tenantState.ResetAfter;
        headers[PolicyHeader] = KeyTenantPolicyField(plan.KeyLimit!, plan.TenantLimit!);
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

/// <summary>The limits one request falls under; <see cref="Policy"/> null when none.</summary>
internal readonly record struct LimitPlan(
    string? Policy,
    KeyGrant? Grant,
    KeyRateLimit? KeyLimit,
    KeyRateLimit? TenantLimit,
    RateLimitWindow First,
    RateLimitWindow? Second);

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
