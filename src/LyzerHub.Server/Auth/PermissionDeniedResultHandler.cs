using LyzerHub.Server.Audit;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace LyzerHub.Server.Auth;

/// <summary>
/// Turns a failed permission policy into the 403 of PRODUCT.md §4.7, naming the missing permission in the
/// problem and in <c>WWW-Authenticate</c> (RFC 6750 <c>insufficient_scope</c>). Challenges (no or bad key) are
/// left to the authentication handler.
/// </summary>
public sealed partial class PermissionDeniedResultHandler(
    AuditRecorder audit, ILogger<PermissionDeniedResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(
        RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        // Only the key scheme's refusals are API problems; the console's cookie scheme redirects to its page.
        if (!result.Forbidden || !policy.AuthenticationSchemes.Contains(KeyAuthenticationHandler.SchemeName))
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }

        var permission = result.AuthorizationFailure?.FailedRequirements
            .OfType<ClaimsAuthorizationRequirement>()
            .SelectMany(r => r.AllowedValues ?? [])
            .FirstOrDefault() ?? "unknown";
        Log.PermissionDenied(logger, context.User.FindFirst(HubClaims.KeyId)?.Value, permission);
        // Counted in memory and written in batches: a denial flood costs no store write per request.
        audit.RecordPermissionDenied(context, permission);

        context.Response.Headers.WWWAuthenticate =
            $"Bearer realm=\"{KeyAuthenticationHandler.Realm}\", error=\"insufficient_scope\", scope=\"{permission}\"";
        await HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.MissingPermission,
                $"This key lacks the permission '{permission}'.",
                new Dictionary<string, object?> { ["permission"] = permission })
            .ExecuteAsync(context);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1002, EventName = "PermissionDenied", Level = LogLevel.Information,
            Message = "Key {KeyId} lacks permission {Permission}")]
        public static partial void PermissionDenied(ILogger logger, string? keyId, string permission);
    }
}
