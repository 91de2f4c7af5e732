namespace LyzerHub.Server.Storage;

/// <summary>
/// A signed-in console session as stored: the SHA-256 of its id (the id itself lives only in the browser's
/// protected cookie), whose it is, when it ends, and the serialized authentication ticket (claims, no secret).
/// </summary>
public sealed record ConsoleSession(
    string IdHash, string UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, byte[] Ticket);

/// <summary>
/// Console sessions (PRODUCT.md §3: offboarding ends them). Kept server-side so that signing out, offboarding
/// and <c>reset-admin-password</c> end a session for good, not just the browser's copy of it.
/// </summary>
public partial interface IControlStore
{
    /// <summary>Stores a new session and its <c>auth.login</c> entry, in one transaction.</summary>
    Task InsertConsoleSessionAsync(
        ConsoleSession session, Audit.AuditDraft audit, CancellationToken cancellationToken);

    /// <summary>The session, or null when there is none or it ended before <paramref name="now"/>.</summary>
    Task<ConsoleSession?> GetConsoleSessionAsync(
        string idHash, DateTimeOffset now, CancellationToken cancellationToken);

    Task UpdateConsoleSessionAsync(
        string idHash, DateTimeOffset expiresAt, byte[] ticket, CancellationToken cancellationToken);

    Task DeleteConsoleSessionAsync(string idHash, CancellationToken cancellationToken);

    /// <summary>Ends every console session of the user; returns how many there were.</summary>
    Task<int> DeleteUserConsoleSessionsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Removes sessions that ended before <paramref name="now"/>.</summary>
    Task<int> DeleteExpiredConsoleSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
