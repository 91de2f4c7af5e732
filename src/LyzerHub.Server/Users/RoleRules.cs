using System.Security.Claims;
using LyzerHub.Server.Auth;

namespace LyzerHub.Server.Users;

/// <summary>Who may grant which role (PRODUCT.md §3).</summary>
public static class RoleRules
{
    /// <summary>Owner above admin above member above viewer; an unknown role is below all.</summary>
    public static int Rank(string role) => role switch
    {
        Roles.Owner => 3,
        Roles.Admin => 2,
        Roles.Member => 1,
        Roles.Viewer => 0,
        _ => -1,
    };

    /// <summary>
    /// True when a caller of <paramref name="callerRole"/> may manage a user of <paramref name="role"/>.
    /// </summary>
    public static bool MayManage(string callerRole, string role) => Rank(callerRole) >= Rank(role);

    /// <summary>
    /// The first permission (in canonical order) that <paramref name="role"/> allows but the caller's key does
    /// not effectively hold; null when the role may be granted. The viewer's floor is exempt: PRODUCT.md §3 lets
    /// a key narrowed to <c>manage:users</c> alone add viewers, so read-only metrics is every user's baseline
    /// rather than something the granting key must hold.
    /// </summary>
    public static string? FirstUngrantable(string role, ClaimsPrincipal caller)
    {
        var floor = Roles.Allowed(Roles.Viewer, isOperator: false);
        return Roles.Allowed(role, isOperator: false)
            .FirstOrDefault(p => !floor.Contains(p) && !caller.HasPermission(p));
    }
}
