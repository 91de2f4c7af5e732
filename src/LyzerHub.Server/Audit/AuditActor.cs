using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;

namespace LyzerHub.Server.Audit;

/// <summary>
/// Who did something and from where, as an audit entry records it: a user id (or <c>system</c>, or
/// <c>anonymous</c> before a key was checked), the key id it used, the client address, user agent and request id.
/// Services take one of these and make the entry themselves, because only they know the target (a new key's id).
/// </summary>
public sealed record AuditActor(
    string Actor, string? KeyId, string? ClientAddress, string? UserAgent, string? RequestId)
{
    public const string SystemActor = "system";
    public const string AnonymousActor = "anonymous";

    /// <summary>A user agent is the client's to choose: bounded so a huge one cannot bloat the trail.</summary>
    public const int MaxUserAgentLength = 256;

    /// <summary>The hub itself: bootstrap, retention, the operator's command-line tooling.</summary>
    public static AuditActor System { get; } = new(SystemActor, null, null, null, null);

    /// <summary>The request's key holder when a key was checked, otherwise <c>anonymous</c>.</summary>
    public static AuditActor FromRequest(HttpContext context)
    {
        var user = context.User;
        var userId = user.FindFirst(HubClaims.UserId)?.Value;
        var userAgent = context.Request.Headers.UserAgent.ToString();
        if (userAgent.Length > MaxUserAgentLength) userAgent = userAgent[..MaxUserAgentLength];
        return new AuditActor(
            userId ?? AnonymousActor,
            userId is null ? null : user.FindFirst(HubClaims.KeyId)?.Value,
            ClientAddresses.Of(context.Connection.RemoteIpAddress),
            userAgent.Length == 0 ? null : userAgent,
            context.TraceIdentifier);
    }

    /// <summary>The same request, acting as <paramref name="userId"/> (a login names its user once proven).</summary>
    public AuditActor As(string userId, string? keyId = null) => this with { Actor = userId, KeyId = keyId };

    public AuditDraft Draft(
        DateTimeOffset at,
        string? tenantId,
        string action,
        string? target,
        string outcome = AuditOutcomes.Success,
        string? detail = null) =>
        new(at, tenantId, Actor, KeyId, action, target, ClientAddress, UserAgent, RequestId, outcome, 1, detail);
}
