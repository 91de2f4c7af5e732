using LyzerHub.Server.Storage;

namespace LyzerHub.Server.RateLimits;

/// <summary>
/// The <c>Hub:RateLimits</c> configuration section: the hub's defaults (PRODUCT.md §4.8). A tenant's policy may set
/// its own key and tenant limits; the address limits are hub-wide only.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Hub:RateLimits";

    /// <summary>The longest window any limit may use: a day. Longer ones would hold counters for days.</summary>
    public const int MaxWindowSeconds = 24 * 3600;

    /// <summary>Per key, for keys without their own limit in a tenant that sets none.</summary>
    public RateLimitSetting Key { get; set; } = new() { Requests = 6000, WindowSeconds = 60 };

    /// <summary>Per tenant, all its keys together, for tenants that set none.</summary>
    public RateLimitSetting Tenant { get; set; } = new() { Requests = 30000, WindowSeconds = 60 };

    /// <summary>
    /// Per client address on <c>POST /v1/auth/key</c> and unauthenticated <c>POST /v1/auth/revoke</c>.
    /// </summary>
    public RateLimitSetting Address { get; set; } = new() { Requests = 60, WindowSeconds = 60 };

    /// <summary>Per client address, requests whose key fails authentication, on any endpoint.</summary>
    public RateLimitSetting FailedAuthentication { get; set; } = new() { Requests = 600, WindowSeconds = 60 };

    /// <summary>The first wrong setting as the one line that stops the start, or null when all are usable.</summary>
    public string? FirstError()
    {
        foreach (var (name, setting) in new[]
                 {
                     (nameof(Key), Key), (nameof(Tenant), Tenant), (nameof(Address), Address),
                     (nameof(FailedAuthentication), FailedAuthentication),
                 })
        {
            if (setting.Requests < 1) return $"{SectionName}:{name}:Requests must be 1 or more.";
            if (setting.WindowSeconds is < 1 or > MaxWindowSeconds)
                return $"{SectionName}:{name}:WindowSeconds must be from 1 to {MaxWindowSeconds} seconds.";
        }

        return null;
    }
}

/// <summary>One configured limit: at most <see cref="Requests"/> per <see cref="WindowSeconds"/>.</summary>
public sealed class RateLimitSetting
{
    public int Requests { get; set; }

    public int WindowSeconds { get; set; }

    public KeyRateLimit ToLimit() => new(Requests, WindowSeconds);
}

/// <summary>
/// The validated defaults as immutable limits, made once at start so resolving a request's limits allocates
/// nothing.
/// </summary>
public sealed class RateLimitDefaults(RateLimitOptions options)
{
    public KeyRateLimit Key { get; } = options.Key.ToLimit();

    public KeyRateLimit Tenant { get; } = options.Tenant.ToLimit();

    public KeyRateLimit Address { get; } = options.Address.ToLimit();

    public KeyRateLimit FailedAuthentication { get; } = options.FailedAuthentication.ToLimit();

    /// <summary>The limit of a key without its own: the tenant's default key limit, else the hub's.</summary>
    public KeyRateLimit DefaultKeyLimitOf(TenantPolicy policy) => policy.DefaultKeyRateLimit ?? Key;

    /// <summary>The limit a key works under: its own, else its tenant's default, else the hub's.</summary>
    public KeyRateLimit KeyLimitOf(KeyRecord key, TenantPolicy policy) => key.RateLimit ?? DefaultKeyLimitOf(policy);

    public KeyRateLimit TenantLimitOf(TenantPolicy policy) => policy.TenantRateLimit ?? Tenant;

    /// <summary>The policy as the API shows it: the limits that apply, whether the tenant set them or not.</summary>
    public TenantPolicy Resolve(TenantPolicy policy) =>
        policy with { DefaultKeyRateLimit = DefaultKeyLimitOf(policy), TenantRateLimit = TenantLimitOf(policy) };
}
