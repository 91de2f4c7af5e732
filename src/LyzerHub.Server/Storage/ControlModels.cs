using LyzerHub.Server.Keys;

namespace LyzerHub.Server.Storage;

/// <summary>
/// A tenant's key policy (PRODUCT.md §3) and rate limits (§4.8). A null limit follows the hub's configured default
/// (<c>Hub:RateLimits</c>), so changing that default reaches every tenant that never set its own; policies stored
/// before the limits existed read back with both null.
/// </summary>
public sealed record TenantPolicy(
    long MaxKeyLifetimeSeconds,
    bool AllowNonExpiringKeys,
    long LoginKeyLifetimeSeconds,
    IReadOnlyList<string> DefaultLoginPermissions,
    KeyRateLimit? DefaultKeyRateLimit = null,
    KeyRateLimit? TenantRateLimit = null)
{
    public static TenantPolicy Default { get; } = new(
        MaxKeyLifetimeSeconds: 90L * 24 * 3600,
        AllowNonExpiringKeys: false,
        LoginKeyLifetimeSeconds: 3600,
        DefaultLoginPermissions: [Auth.Permissions.ReadMetrics, Auth.Permissions.WriteEvents]);
}

public sealed record Tenant(string Id, string Slug, string Name, DateTimeOffset CreatedAt, TenantPolicy Policy);

public static class UserStates
{
    public const string Active = "active";
    public const string Offboarded = "offboarded";
}

public sealed record User(
    string Id,
    string TenantId,
    string Username,
    string Role,
    string State,
    string PasswordHash,
    bool IsOperator,
    DateTimeOffset CreatedAt);

/// <summary>A key's record; the secret itself is never part of it, only its hash in the store.</summary>
public sealed record KeyRecord(
    string Id,
    string TenantId,
    string UserId,
    string Name,
    string Start,
    IReadOnlyList<string> Permissions,
    bool IsLoginKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt,
    long RequestCount,
    KeyRateLimit? RateLimit = null);

/// <summary>
/// At most <c>Requests</c> per <c>WindowSeconds</c> (PRODUCT.md §4.8): a key's own limit, or one of a tenant's.
/// </summary>
public sealed record KeyRateLimit(int Requests, int WindowSeconds);

/// <summary>
/// What a key check needs in one read: the key, the secret's own end (after a roll), user and tenant.
/// </summary>
public sealed record KeyGrant(KeyRecord Key, DateTimeOffset? SecretValidUntil, User User, Tenant Tenant);

/// <summary>A page of a newest-first list and the cursor of the next page, if any.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public enum CreateTenantOutcome { Created, SlugTaken, UsernameTaken }

/// <summary>A new key to store: its record and the hash of its secret.</summary>
public sealed record NewKey(KeyRecord Record, KeyHash SecretHash);
