using System.Security.Claims;
using System.Text.Encodings.Web;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Auth;

/// <summary>
/// ASP.NET Core authentication for <c>Authorization: Bearer lyz_…</c>. Every invalid key, whatever the reason,
/// fails the same way and is challenged with the same 401 (PRODUCT.md §4.7), so the answer reveals nothing.
/// </summary>
public sealed partial class KeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    KeyService keys,
    KeyUsageRecorder usage,
    HubRateLimiter limiter)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "LyzerKey";
    public const string Realm = "lyzer";

    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0) return AuthenticateResult.NoResult();

        // One header value is the string itself: no copy, and the key is sliced, not substringed.
        var value = header.ToString();
        if (header.Count != 1 || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("invalid key");

        var presented = value.AsMemory(BearerPrefix.Length).Trim();
        if (!keys.TryFindWithoutStore(presented.Span, out var grant))
        {
            // Only a cache miss costs a store read; an address that has spent its failed-authentication budget gets
            // none, and the rate limiter then answers 429 (PRODUCT.md §4.8).
            if (await limiter.IsFailedAuthenticationExhaustedAsync(Context))
            {
                RateLimits.Log.KeyLookupSkipped(Logger);
                return AuthenticateResult.Fail("invalid key");
            }

            grant = await keys.FindActiveAsync(presented, Context.RequestAborted);
        }

        if (grant is null)
        {
            Log.KeyRejected(Logger);
            return AuthenticateResult.Fail("invalid key");
        }

        // In memory only; KeyUsageFlusher writes the counts in batches, off the request path.
        usage.Record(grant.Grant.Key.Id);
        Context.Features.Set(new KeyGrantFeature(grant));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(ClaimsOf(grant), SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var missing = result.None;
        Response.Headers.WWWAuthenticate = missing
            ? $"Bearer realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\", error=\"invalid_token\"";
        var problem = missing
            ? HubProblems.Create(Context, StatusCodes.Status401Unauthorized, ProblemCodes.MissingKey,
                "Send a key as 'Authorization: Bearer lyz_...'.")
            : HubProblems.Create(Context, StatusCodes.Status401Unauthorized, ProblemCodes.InvalidKey,
                "The key is not valid.");
        await problem.ExecuteAsync(Context);
    }

    private static List<Claim> ClaimsOf(CachedGrant cached)
    {
        var grant = cached.Grant;
        var claims = new List<Claim>(8 + cached.EffectivePermissions.Count)
        {
            new(HubClaims.TenantId, grant.Tenant.Id),
            new(HubClaims.TenantSlug, grant.Tenant.Slug),
            new(HubClaims.UserId, grant.User.Id),
            new(HubClaims.Username, grant.User.Username),
            new(HubClaims.Role, grant.User.Role),
            new(HubClaims.KeyId, grant.Key.Id),
        };
        if (grant.Key.IsLoginKey) claims.Add(new Claim(HubClaims.LoginKey, "true"));
        foreach (var permission in cached.EffectivePermissions) claims.Add(new Claim(HubClaims.Permission, permission));
        return claims;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, EventName = "KeyRejected", Level = LogLevel.Debug,
            Message = "A request presented a key that is not valid")]
        public static partial void KeyRejected(ILogger logger);
    }
}
