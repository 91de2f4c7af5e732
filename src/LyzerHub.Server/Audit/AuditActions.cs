namespace LyzerHub.Server.Audit;

/// <summary>
/// The audit actions of PRODUCT.md §4.6, plus the retention checkpoint that keeps a shortened chain whole.
/// </summary>
public static class AuditActions
{
    public const string Login = "auth.login";
    public const string LoginFailed = "auth.login_failed";
    public const string LoginThrottled = "auth.login_throttled";
    public const string PasswordChanged = "auth.password_changed";
    public const string KeyCreated = "key.created";
    public const string KeyRolled = "key.rolled";
    public const string KeyRevoked = "key.revoked";
    public const string UserCreated = "user.created";
    public const string UserRoleChanged = "user.role_changed";
    public const string UserOffboarded = "user.offboarded";
    public const string TenantCreated = "tenant.created";
    public const string TenantPolicyChanged = "tenant.policy_changed";
    public const string PermissionDenied = "permission.denied";
    public const string RateLimitExceeded = "rate_limit.exceeded";

    /// <summary>Written by retention: the entries before it were removed; the chain continues from a hash.</summary>
    public const string Checkpoint = "audit.checkpoint";

    public static readonly IReadOnlyList<string> All =
    [
        Login, LoginFailed, LoginThrottled, PasswordChanged, KeyCreated, KeyRolled, KeyRevoked, UserCreated,
        UserRoleChanged, UserOffboarded, TenantCreated, TenantPolicyChanged, PermissionDenied, RateLimitExceeded,
        Checkpoint,
    ];

    public static bool IsKnown(string action) => All.Contains(action, StringComparer.Ordinal);
}

public static class AuditOutcomes
{
    public const string Success = "success";

    /// <summary>The caller tried and failed (a wrong password).</summary>
    public const string Failure = "failure";

    /// <summary>The hub refused before trying (throttle, missing permission, rate limit).</summary>
    public const string Denied = "denied";
}
