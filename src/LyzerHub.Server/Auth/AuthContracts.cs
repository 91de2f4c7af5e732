namespace LyzerHub.Server.Auth;

public sealed record LoginRequest(
    string? Username, string? Password, IReadOnlyList<string>? Permissions, long? ExpiresInSeconds);

public sealed record LoginResponse(
    string Key,
    string Type,
    long ExpiresInSeconds,
    IReadOnlyList<string> Permissions,
    string KeyId,
    DateTimeOffset ExpiresAt,
    string Tenant);

public sealed record RevokeRequest(string? Key);

public sealed record RevokeResponse(bool Revoked);

public sealed record WhoamiResponse(WhoamiTenant Tenant, WhoamiUser User, WhoamiKey Key);

public sealed record WhoamiTenant(string Id, string Slug);

public sealed record WhoamiUser(string Id, string Username, string Role);

public sealed record WhoamiKey(
    string Id,
    string Name,
    string Start,
    IReadOnlyList<string> Permissions,
    IReadOnlyList<string> EffectivePermissions,
    DateTimeOffset? ExpiresAt);
