using System.Security.Cryptography;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.WebUtilities;

namespace LyzerHub.Server.WebConsole;

/// <summary>
/// Keeps console sessions in the control store, so the cookie holds only a random session id (inside Data
/// Protection's encryption) and a session can be ended server-side: signing out, offboarding and
/// <c>reset-admin-password</c> delete the row, and a copied cookie then opens nothing. The store keeps the
/// id's SHA-256, never the id.
/// </summary>
// Known gap: sessions cannot be listed or ended one by one (a "signed in on" page); a password change ends them
// all. A list of a user's rows with a delete per row would give that.
public sealed partial class ConsoleSessionStore(
    IControlStore store, TimeProvider time, ILogger<ConsoleSessionStore> logger) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        StoreAsync(ticket, null, cancellationToken);

    /// <summary>
    /// Starts a session with its <c>auth.login</c> audit entry (actor and target the user, from the signing-in
    /// request's address), written in the same transaction. The cookie handler calls this overload.
    /// </summary>
    public async Task<string> StoreAsync(
        AuthenticationTicket ticket, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Sign-ins are rare next to requests: a good moment to clear sessions nobody will present again.
        await store.DeleteExpiredConsoleSessionsAsync(now, cancellationToken);

        var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var userId = ticket.Principal.FindFirst(HubClaims.UserId)?.Value
            ?? throw new InvalidOperationException("A console ticket must name its user.");
        var tenantId = ticket.Principal.FindFirst(HubClaims.TenantId)?.Value;
        var actor = (httpContext is null ? AuditActor.System : AuditActor.FromRequest(httpContext)).As(userId);
        var session = new ConsoleSession(Hash(id), userId, now, ExpiresAt(ticket, now),
            TicketSerializer.Default.Serialize(ticket));
        await store.InsertConsoleSessionAsync(session,
            actor.Draft(now, tenantId, AuditActions.Login, userId, detail: "console session"), cancellationToken);
        Log.SessionStarted(logger, userId);
        return id;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) =>
        RenewAsync(key, ticket, CancellationToken.None);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        store.UpdateConsoleSessionAsync(Hash(key), ExpiresAt(ticket, time.GetUtcNow()),
            TicketSerializer.Default.Serialize(ticket), cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        var session = await store.GetConsoleSessionAsync(Hash(key), time.GetUtcNow(), cancellationToken);
        return session is null ? null : TicketSerializer.Default.Deserialize(session.Ticket);
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) =>
        store.DeleteConsoleSessionAsync(Hash(key), cancellationToken);

    private static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(
        System.Text.Encoding.ASCII.GetBytes(id)));

    private static DateTimeOffset ExpiresAt(AuthenticationTicket ticket, DateTimeOffset now) =>
        ticket.Properties.ExpiresUtc ?? now + ConsoleAuth.SessionLifetime;

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, EventName = "ConsoleSessionStarted", Level = LogLevel.Information,
            Message = "User {UserId} signed in to the console")]
        public static partial void SessionStarted(ILogger logger, string userId);
    }
}

/// <summary>Hands the DI-built session store to the cookie scheme's options.</summary>
internal sealed class ConsoleCookieOptionsSetup(ConsoleSessionStore sessions)
    : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (name == ConsoleAuth.Scheme) options.SessionStore = sessions;
    }
}
