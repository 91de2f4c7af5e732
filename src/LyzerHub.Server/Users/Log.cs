namespace LyzerHub.Server.Users;

/// <summary>
/// The users feature's log messages (event ids 6000-6999). Ids only: never a username's password, a hash or a key.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(6001, LogLevel.Information, "User {UserId} was created in tenant {TenantId} with role {Role}",
        EventName = "UserCreated")]
    public static partial void UserCreated(ILogger logger, string userId, string tenantId, string role);

    [LoggerMessage(6002, LogLevel.Information, "User {UserId} changed role from {OldRole} to {NewRole}",
        EventName = "UserRoleChanged")]
    public static partial void RoleChanged(ILogger logger, string userId, string oldRole, string newRole);

    [LoggerMessage(6003, LogLevel.Information, "User {UserId} was offboarded; {KeysRevoked} keys revoked",
        EventName = "UserOffboarded")]
    public static partial void Offboarded(ILogger logger, string userId, int keysRevoked);

    [LoggerMessage(6004, LogLevel.Information,
        "User {UserId} changed their password; {KeysRevoked} other login keys revoked",
        EventName = "PasswordChanged")]
    public static partial void PasswordChanged(ILogger logger, string userId, int keysRevoked);

    [LoggerMessage(6005, LogLevel.Information, "A password change of user {UserId} failed: wrong current password",
        EventName = "PasswordChangeRefused")]
    public static partial void PasswordChangeRefused(ILogger logger, string userId);

    [LoggerMessage(6006, LogLevel.Information, "Key {KeyId} changed the policy of tenant {TenantId}",
        EventName = "TenantPolicyChanged")]
    public static partial void PolicyChanged(ILogger logger, string keyId, string tenantId);
}
