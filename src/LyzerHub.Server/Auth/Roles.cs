namespace LyzerHub.Server.Auth;

/// <summary>The roles of PRODUCT.md §3 and the permissions each allows at most.</summary>
public static class Roles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Member, Viewer];

    private static readonly string[] s_owner =
        Permissions.All.Where(p => p != Permissions.AdminHub).ToArray();

    private static readonly string[] s_admin =
    [
        Permissions.ReadMetrics, Permissions.WriteEvents, Permissions.ReadEvents, Permissions.ManageKeys,
        Permissions.ManageUsers, Permissions.ReadAudit,
    ];

    private static readonly string[] s_member =
        [Permissions.ReadMetrics, Permissions.WriteEvents, Permissions.ReadEvents];

    private static readonly string[] s_viewer = [Permissions.ReadMetrics];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);

    /// <summary>What a user of this role may hold; the hub operator additionally holds <c>admin:hub</c>.</summary>
    public static IReadOnlyList<string> Allowed(string role, bool isOperator)
    {
        string[] allowed = role switch
        {
            Owner => s_owner,
            Admin => s_admin,
            Member => s_member,
            Viewer => s_viewer,
            _ => [],
        };
        return isOperator ? [.. allowed, Permissions.AdminHub] : allowed;
    }
}
