using LyzerHub.Server.Audit;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Auth;

public static partial class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/auth").WithTags("Auth");
        group.MapPost("/key", LoginAsync).AllowAnonymous().RequireAddressRateLimit(evenWithKey: true)
            .Accepts<LoginRequest>("application/json")
            .Produces<LoginResponse>()
            .WithSummary("Log in with username and password and get a key");
        group.MapGet("/whoami", Whoami).RequireAuthorization()
            .WithSummary("Describe the calling key, its user and tenant");
        // No Accepts<> here: a body that is not JSON must be a 400 (PRODUCT.md §4.2), not a routing 415.
        group.MapPost("/revoke", RevokeAsync).AllowAnonymous().RequireAddressRateLimit(evenWithKey: false)
            .WithSummary("Revoke the key in the body, or the bearer key");
        return app;
    }

    internal static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> LoginAsync(
        HttpContext context,
        IControlStore store,
        PasswordLogin login,
        KeyService keys,
        AuditRecorder audit,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await RequestJson.ReadAsync<LoginRequest>(context);
        if (problem is not null) return problem;

        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(request!.Username)) errors.Add(FieldError.ForField("username", "is required"));
        if (string.IsNullOrEmpty(request.Password)) errors.Add(FieldError.ForField("password", "is required"));
        foreach (var name in request.Permissions ?? [])
        {
            if (!Permissions.IsKnown(name)) errors.Add(FieldError.ForField("permissions", $"'{name}' is unknown"));
        }

        if (request.ExpiresInSeconds is <= 0)
            errors.Add(FieldError.ForField("expires_in_seconds", "must be a positive number of seconds"));
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        var logger = loggers.CreateLogger(typeof(AuthEndpoints));
        var check = await login.CheckAsync(request.Username!, request.Password!, context.Connection.RemoteIpAddress,
            cancellationToken);
        switch (check.Outcome)
        {
            case PasswordLoginOutcome.Throttled:
                Log.LoginThrottled(logger);
                audit.RecordLoginThrottled(context);
                var seconds = check.RetryAfterSeconds;
                context.Response.Headers.RetryAfter =
                    seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return HubProblems.Create(context, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                    $"Too many failed logins; retry in {seconds} s.");
            case PasswordLoginOutcome.Overloaded:
                return HubProblems.Overloaded(context, "Too many logins are being checked; retry shortly.", 1);
            case PasswordLoginOutcome.Failed:
                Log.LoginFailed(logger);
                // In memory like the throttle, so an unknown user's answer still takes a wrong password's time.
                audit.RecordLoginFailed(context, check.User?.TenantId, check.User?.Id);
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{KeyAuthenticationHandler.Realm}\"";
                return HubProblems.Create(context, StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials,
                    "The username or the password is wrong.");
        }

        var user = check.User!;
        var tenant = await store.GetTenantAsync(user.TenantId, cancellationToken)
            ?? throw new InvalidOperationException($"User {user.Id} has no tenant.");
        var policy = tenant.Policy;
        var allowed = Roles.Allowed(user.Role, user.IsOperator);
        string[] permissions;
        if (request.Permissions is { } asked)
        {
            var beyondRole = asked.FirstOrDefault(p => !allowed.Contains(p));
            if (beyondRole is not null)
            {
                return HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.MissingPermission,
                    $"The role '{user.Role}' does not allow the permission '{beyondRole}'.",
                    new Dictionary<string, object?> { ["permission"] = beyondRole });
            }

            permissions = Permissions.Normalize(asked);
        }
        else
        {
            permissions = Permissions.Normalize(policy.DefaultLoginPermissions.Where(allowed.Contains));
        }

        var lifetime = request.ExpiresInSeconds ?? policy.LoginKeyLifetimeSeconds;
        if (lifetime > policy.LoginKeyLifetimeSeconds)
        {
            return HubProblems.InvalidField(context, "expires_in_seconds",
                $"must be at most {policy.LoginKeyLifetimeSeconds}, the tenant's login key lifetime");
        }

        var issued = await keys.IssueAsync(user, "login", permissions, TimeSpan.FromSeconds(lifetime),
            isLoginKey: true, AuditActor.FromRequest(context), cancellationToken);
        Log.LoginSucceeded(logger, user.Id, issued.Record.Id);

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new LoginResponse(issued.PlainKey, "bearer", lifetime, issued.Record.Permissions,
            issued.Record.Id, issued.Record.ExpiresAt!.Value, tenant.Slug));
    }

    internal static Ok<WhoamiResponse> Whoami(HttpContext context)
    {
        var cached = context.Features.GetRequiredFeature<KeyGrantFeature>().Grant;
        var (key, user, tenant) = (cached.Grant.Key, cached.Grant.User, cached.Grant.Tenant);
        return TypedResults.Ok(new WhoamiResponse(
            new WhoamiTenant(tenant.Id, tenant.Slug),
            new WhoamiUser(user.Id, user.Username, user.Role),
            new WhoamiKey(key.Id, key.Name, key.Start, key.Permissions, cached.EffectivePermissions,
                cached.ValidUntil)));
    }

    internal static async Task<Results<Ok<RevokeResponse>, ProblemHttpResult>> RevokeAsync(
        HttpContext context, KeyService keys, CancellationToken cancellationToken)
    {
        string? presented;
        if (RequestJson.HasBody(context))
        {
            var (request, problem) = await RequestJson.ReadAsync<RevokeRequest>(context);
            if (problem is not null) return problem;
            presented = request!.Key;
        }
        else
        {
            var header = context.Request.Headers.Authorization.ToString();
            presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        }

        if (string.IsNullOrEmpty(presented))
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{KeyAuthenticationHandler.Realm}\"";
            return HubProblems.Create(context, StatusCodes.Status401Unauthorized, ProblemCodes.MissingKey,
                "Send the key to revoke in the body as {\"key\": \"lyz_...\"} or as the bearer key.");
        }

        // The same answer whether or not the key existed, so this endpoint cannot be used to test keys.
        await keys.RevokeBySecretAsync(presented, AuditActor.FromRequest(context), cancellationToken);
        return TypedResults.Ok(new RevokeResponse(true));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, EventName = "LoginSucceeded", Level = LogLevel.Information,
            Message = "User {UserId} logged in and got key {KeyId}")]
        public static partial void LoginSucceeded(ILogger logger, string userId, string keyId);

        [LoggerMessage(EventId = 1102, EventName = "LoginFailed", Level = LogLevel.Information,
            Message = "A login failed: unknown user, wrong password or inactive user")]
        public static partial void LoginFailed(ILogger logger);

        [LoggerMessage(EventId = 1103, EventName = "LoginThrottled", Level = LogLevel.Information,
            Message = "A login was refused by the failure throttle")]
        public static partial void LoginThrottled(ILogger logger);
    }
}
