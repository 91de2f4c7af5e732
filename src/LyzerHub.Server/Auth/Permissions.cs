namespace LyzerHub.Server.Auth;

/// <summary>The permission names of PRODUCT.md §1; each is also the name of an authorization policy.</summary>
public static class Permissions
{
    public const string ReadMetrics = "read:metrics";
    public const string WriteEvents = "write:events";
    public const string ReadEvents = "read:events";
    public const string ManageKeys = "manage:keys";
    public const string ManageUsers = "manage:users";
    public const string ReadAudit = "read:audit";
    public const string ManageTenant = "manage:tenant";
    public const string AdminHub = "admin:hub";

    /// <summary>Every permission, in the order the API lists them.</summary>
    public static readonly IReadOnlyList<string> All =
        [ReadMetrics, WriteEvents, ReadEvents, ManageKeys, ManageUsers, ReadAudit, ManageTenant, AdminHub];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);

    /// <summary>Sorts into the canonical order of <see cref="All"/> and drops duplicates.</summary>
    public static string[] Normalize(IEnumerable<string> permissions)
    {
        var set = permissions.ToHashSet(StringComparer.Ordinal);
        return All.Where(set.Contains).ToArray();
    }
}
