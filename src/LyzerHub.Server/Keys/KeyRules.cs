using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Keys;

/// <summary>
/// What a new named key must satisfy (PRODUCT.md §3): a name, known permissions within the caller's effective
/// set, a lifetime within the tenant's policy. <c>POST /v1/keys</c> and the console's keys page both check
/// through here, so the two can never disagree.
/// </summary>
public static class KeyRules
{
    public const int MaxNameLength = 200;

    /// <summary>Lifetime of a key made without one asked for, unless the policy allows less.</summary>
    public const long DefaultLifetimeSeconds = 30 * 24 * 3600;

    public static void CheckName(string? name, List<FieldError> errors)
    {
        var length = name?.EnumerateRunes().Count() ?? 0;
        if (length is < 1 or > MaxNameLength)
            errors.Add(FieldError.ForField("name", $"is required, 1 to {MaxNameLength} characters"));
    }

    public static void CheckPermissions(IReadOnlyList<string>? permissions, List<FieldError> errors)
    {
        if (permissions is null or { Count: 0 })
            errors.Add(FieldError.ForField("permissions", "must list at least one permission"));
        foreach (var name in permissions ?? [])
        {
            if (!Auth.Permissions.IsKnown(name))
                errors.Add(FieldError.ForField("permissions", $"'{name}' is unknown"));
        }
    }

    /// <summary>The smaller of 30 days and the tenant's maximum.</summary>
    public static long DefaultLifetime(TenantPolicy policy) =>
        Math.Min(DefaultLifetimeSeconds, policy.MaxKeyLifetimeSeconds);

    /// <summary>
    /// The lifetime to give a key: <paramref name="seconds"/> when asked (at most the policy's maximum), the
    /// default when not, and null (never expiring) when <paramref name="neverExpires"/> and the policy allows it.
    /// </summary>
    public static TimeSpan? CheckLifetime(
        long? seconds, bool neverExpires, TenantPolicy policy, List<FieldError> errors)
    {
        const string field = "expires_in_seconds";
        if (neverExpires)
        {
            if (!policy.AllowNonExpiringKeys)
                errors.Add(FieldError.ForField(field, "null (never expiring) is not allowed by the tenant's policy"));
            return null;
        }

        if (seconds is null) return TimeSpan.FromSeconds(DefaultLifetime(policy));
        if (seconds <= 0)
        {
            errors.Add(FieldError.ForField(field, "must be a positive whole number of seconds, or null"));
            return null;
        }

        if (seconds > policy.MaxKeyLifetimeSeconds)
        {
            errors.Add(FieldError.ForField(field,
                $"must be at most {policy.MaxKeyLifetimeSeconds}, the tenant's maximum key lifetime"));
        }

        return TimeSpan.FromSeconds(Math.Min(seconds.Value, policy.MaxKeyLifetimeSeconds));
    }

    /// <summary>
    /// The first asked permission the caller does not effectively hold, or null: a key is never stronger than
    /// the key (or console session) that made it.
    /// </summary>
    public static string? FirstBeyond(IEnumerable<string> asked, IReadOnlyCollection<string> effective) =>
        asked.FirstOrDefault(p => !effective.Contains(p));
}
