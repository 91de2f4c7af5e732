using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Users;

public sealed record CreateUserRequest(string? Username, string? Role, string? Password);

public sealed record UpdateUserRequest(string? Role);

/// <summary>A user as the API shows it; never the password hash.</summary>
public sealed record UserResponse(string Id, string Username, string Role, string State, DateTimeOffset CreatedAt)
{
    public static UserResponse From(User user) => new(user.Id, user.Username, user.Role, user.State, user.CreatedAt);
}

/// <summary>A user just created; <see cref="Password"/> only when the hub generated it (shown this once).</summary>
public sealed record CreatedUserResponse(
    string Id, string Username, string Role, string State, DateTimeOffset CreatedAt, string? Password);

public sealed record OffboardResponse(int KeysRevoked);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record ChangePasswordResponse(int KeysRevoked);

/// <summary>A partial policy change: absent (or null) fields keep their value.</summary>
public sealed record UpdateTenantPolicyRequest(
    long? MaxKeyLifetimeSeconds,
    bool? AllowNonExpiringKeys,
    long? LoginKeyLifetimeSeconds,
    IReadOnlyList<string>? DefaultLoginPermissions,
    KeyRateLimit? DefaultKeyRateLimit = null,
    KeyRateLimit? TenantRateLimit = null);
