using System.Security.Claims;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Users;

/// <summary>
/// Why a grant was refused: <see cref="Role"/> set for a role too high for the caller (insufficient_role),
/// <see cref="Permission"/> set for a permission the caller's key lacks (missing_permission).
/// </summary>
public sealed record GrantRefusal(string? Role, string? Permission, string Detail);

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

    /// <summary>
    /// The two rules of PRODUCT.md §3 for granting <paramref name="role"/> to a user now holding
    /// <paramref name="currentRole"/> (null for a new user): the caller's role is at least both, and the role's
    /// permissions lie within what the caller effectively holds. Null when the grant may go ahead.
    /// </summary>
    public static GrantRefusal? RefuseGrant(ClaimsPrincipal caller, string role, string? currentRole)
    {
        var callerRole = caller.FindFirst(HubClaims.Role)?.Value ?? "";
        if (currentRole is not null && !MayManage(callerRole, currentRole)) return RoleTooLow(callerRole, currentRole);
        if (!MayManage(callerRole, role)) return RoleTooLow(callerRole, role);
        return FirstUngrantable(role, caller) is { } missing
            ? new GrantRefusal(null, missing,
                $"Granting the role '{role}' needs the permission '{missing}', which this key lacks.")
            : null;
    }

    public static GrantRefusal RoleTooLow(string callerRole, string role) => new(role, null,
        $"Your role '{callerRole}' cannot manage a user whose role is or becomes '{role}'.");

    public const string OperatorFixed =
        "The hub operator's role and state change only through the operator's own tooling.";

    /// <summary>Why a role change or offboarding the store refused did not happen, in words for people.</summary>
    public static string Describe(UserChangeOutcome outcome) => outcome switch
    {
        UserChangeOutcome.LastOwner => "The user is the tenant's last active owner; make another user owner first.",
        UserChangeOutcome.Offboarded => "The user is offboarded.",
        UserChangeOutcome.NotFound => "No such user.",
        _ => "The user's role changed meanwhile; read it again and retry.",
    };
}
