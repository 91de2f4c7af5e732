using System.Security.Claims;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace LyzerHub.Server.WebConsole;

/// <summary>
/// The console's cookie scheme and its policies. The scheme is never the default and no <c>/v1</c> policy names
/// it, so the API cannot accept the cookie (PRODUCT.md §4.8).
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = "LyzerConsole";
    public const string SignedIn = "console";
    public const string ManageUsers = "console:" + Permissions.ManageUsers;
    public const string ReadAudit = "console:" + Permissions.ReadAudit;

    /// <summary><c>__Host-</c>: the browser keeps the cookie only if Secure, host-only and for path /.</summary>
    public const string CookieName = "__Host-lyzer-console";

    public const string AntiforgeryCookieName = "__Host-lyzer-antiforgery";

    /// <summary>How long a session lasts from sign-in, whatever its use: a console is not a long-lived key.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);

    /// <summary>What the cookie's ticket carries: who signed in. Everything else is read afresh per request.</summary>
    public static ClaimsPrincipal TicketPrincipal(User user) => new(new ClaimsIdentity(
        [new Claim(HubClaims.UserId, user.Id), new Claim(HubClaims.TenantId, user.TenantId)], Scheme));

    /// <summary>
    /// The request's principal, built from the user and tenant as stored now, in the claim shapes the key handler
    /// uses. A session holds everything the user's role allows, like a login key asking for all of it: the
    /// password was proven at sign-in. A demotion therefore narrows an open session on its next request.
    /// </summary>
    public static ClaimsPrincipal RequestPrincipal(User user, Tenant tenant)
    {
        var claims = new List<Claim>
        {
            new(HubClaims.TenantId, tenant.Id),
            new(HubClaims.TenantSlug, tenant.Slug),
            new(HubClaims.UserId, user.Id),
            new(HubClaims.Username, user.Username),
            new(HubClaims.Role, user.Role),
        };
        foreach (var permission in Roles.Allowed(user.Role, user.IsOperator))
            claims.Add(new Claim(HubClaims.Permission, permission));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, HubClaims.Username, HubClaims.Role));
    }

    /// <summary>
    /// Runs on every console request that presents the cookie: the session must still be stored (the ticket
    /// store saw to that), and its user active. An offboarded user's session ends here even if the row
    /// survived; the principal is rebuilt from the stored role so no request runs on stale rights.
    /// </summary>
    internal static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<IControlStore>();
        var principal = context.Principal!;
        var tenantId = principal.FindFirst(HubClaims.TenantId)?.Value;
        var userId = principal.FindFirst(HubClaims.UserId)?.Value;
        var cancellationToken = context.HttpContext.RequestAborted;
        var user = tenantId is null || userId is null
            ? null
            : await store.GetUserAsync(tenantId, userId, cancellationToken);
        var tenant = user is null ? null : await store.GetTenantAsync(user.TenantId, cancellationToken);
        if (user is null || tenant is null || user.State != UserStates.Active)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }

        context.ReplacePrincipal(RequestPrincipal(user, tenant));
        context.HttpContext.Features.Set(new ConsoleUserFeature(user, tenant));
    }
}

/// <summary>The signed-in user and their tenant as read for this request.</summary>
public sealed record ConsoleUserFeature(User User, Tenant Tenant);
