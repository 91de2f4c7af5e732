using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Users;

public static class TenantPolicyEndpoints
{
    /// <summary>
    /// The longest lifetime policy may allow: ten years. Far beyond any sane key, and far from the overflow of
    /// <see cref="DateTimeOffset"/> arithmetic on key expiry.
    /// </summary>
    public const long MaxLifetimeSeconds = 10L * 366 * 24 * 3600;

    /// <summary>Maps <c>PATCH /v1/tenant</c>; <c>GET /v1/tenant</c> lives with the tenants.</summary>
    public static IEndpointRouteBuilder MapTenantPolicy(this IEndpointRouteBuilder app)
    {
        app.MapPatch("/v1/tenant", UpdateAsync).WithTags("Tenants").RequireAuthorization(Permissions.ManageTenant)
            .Accepts<UpdateTenantPolicyRequest>("application/json")
            .Produces<TenantResponse>()
            .WithSummary("Change the tenant's key policy and rate limits");
        return app;
    }

    internal static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> UpdateAsync(
        HttpContext context, UserService users, RateLimitDefaults limits, CancellationToken cancellationToken)
    {
        var (request, problem) = await RequestJson.ReadAsync<UpdateTenantPolicyRequest>(context);
        if (problem is not null) return problem;

        var errors = new List<FieldError>();
        CheckLifetime(errors, "max_key_lifetime_seconds", request!.MaxKeyLifetimeSeconds);
        CheckLifetime(errors, "login_key_lifetime_seconds", request.LoginKeyLifetimeSeconds);
        foreach (var name in request.DefaultLoginPermissions ?? [])
        {
            if (!Permissions.IsKnown(name))
                errors.Add(FieldError.ForField("default_login_permissions", $"'{name}' is unknown"));
        }

        CheckRateLimit(errors, "default_key_rate_limit", request.DefaultKeyRateLimit);
        CheckRateLimit(errors, "tenant_rate_limit", request.TenantRateLimit);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        // The cross-field rule is checked on the merged policy inside the store's transaction, so a concurrent
        // change of the other field cannot slip past it.
        FieldError? mergedError = null;
        var tenant = await users.UpdatePolicyAsync(context.User.GetTenantId(), context.User.GetKeyId(), current =>
        {
            var updated = current with
            {
                MaxKeyLifetimeSeconds = request.MaxKeyLifetimeSeconds ?? current.MaxKeyLifetimeSeconds,
                AllowNonExpiringKeys = request.AllowNonExpiringKeys ?? current.AllowNonExpiringKeys,
                LoginKeyLifetimeSeconds = request.LoginKeyLifetimeSeconds ?? current.LoginKeyLifetimeSeconds,
                DefaultLoginPermissions = request.DefaultLoginPermissions is { } defaults
                    ? Permissions.Normalize(defaults)
                    : current.DefaultLoginPermissions,
                DefaultKeyRateLimit = request.DefaultKeyRateLimit ?? current.DefaultKeyRateLimit,
                TenantRateLimit = request.TenantRateLimit ?? current.TenantRateLimit,
            };
            if (updated.LoginKeyLifetimeSeconds <= updated.MaxKeyLifetimeSeconds) return updated;

            mergedError = FieldError.ForField("login_key_lifetime_seconds",
                $"must be at most max_key_lifetime_seconds ({updated.MaxKeyLifetimeSeconds})");
            return null;
        }, Audit.AuditActor.FromRequest(context), cancellationToken);

        if (mergedError is not null) return HubProblems.InvalidRequest(context, [mergedError]);
        return tenant is null
            ? HubProblems.NotFound(context, "tenant")
            : TypedResults.Ok(TenantResponse.From(tenant, limits));
    }

    private static void CheckRateLimit(List<FieldError> errors, string field, KeyRateLimit? limit)
    {
        if (limit is null) return;
        if (limit.Requests < 1) errors.Add(FieldError.ForField($"{field}.requests", "must be a positive integer"));
        if (limit.WindowSeconds is < 1 or > RateLimitOptions.MaxWindowSeconds)
        {
            errors.Add(FieldError.ForField($"{field}.window_seconds",
                $"must be from 1 to {RateLimitOptions.MaxWindowSeconds} seconds"));
        }
    }

    private static void CheckLifetime(List<FieldError> errors, string field, long? seconds)
    {
        if (seconds is <= 0 or > MaxLifetimeSeconds)
            errors.Add(FieldError.ForField(field, $"must be 1 to {MaxLifetimeSeconds} seconds"));
    }
}
