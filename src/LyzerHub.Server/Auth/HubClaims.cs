using System.Security.Claims;

namespace LyzerHub.Server.Auth;

/// <summary>Claim types the key authentication handler puts on the principal.</summary>
public static class HubClaims
{
    public const string TenantId = "lyzer:tenant_id";
    public const string TenantSlug = "lyzer:tenant_slug";
    public const string UserId = "lyzer:user_id";
    public const string Username = "lyzer:username";
    public const string Role = "lyzer:role";
    public const string KeyId = "lyzer:key_id";
    public const string LoginKey = "lyzer:login_key";

    /// <summary>One claim per effective permission (the key's own set intersected with the role's).</summary>
    public const string Permission = "lyzer:permission";

    public static string GetTenantId(this ClaimsPrincipal principal) => principal.Required(TenantId);

    public static string GetUserId(this ClaimsPrincipal principal) => principal.Required(UserId);

    public static string GetKeyId(this ClaimsPrincipal principal) => principal.Required(KeyId);

    public static bool HasPermission(this ClaimsPrincipal principal, string permission) =>
        principal.HasClaim(Permission, permission);

    private static string Required(this ClaimsPrincipal principal, string type) =>
        principal.FindFirst(type)?.Value
        ?? throw new InvalidOperationException($"Claim {type} is missing: is the endpoint authorized?");
}
