using System.Text.Json;
using System.Text.Json.Serialization;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Keys;

/// <summary>
/// A key's record as the API shows it (PRODUCT.md §4.3). <c>Key</c>, the plain secret, is set only in the
/// answers to create and roll, and left out of the JSON everywhere else. <c>RateLimit</c> null means the
/// tenant's default applies.
/// </summary>
public sealed record KeyResponse(
    string Id,
    string Name,
    string Start,
    string UserId,
    IReadOnlyList<string> Permissions,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    long RequestCount,
    DateTimeOffset? RevokedAt,
    string Status,
    KeyRateLimit? RateLimit,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key = null);

/// <summary>
/// <c>POST /v1/keys</c>. <c>ExpiresInSeconds</c> is raw JSON so that an absent field (the default lifetime)
/// and an explicit <c>null</c> (never expires) can be told apart.
/// </summary>
public sealed record CreateKeyRequest(
    string? Name, IReadOnlyList<string>? Permissions, JsonElement ExpiresInSeconds, KeyRateLimit? RateLimit);

public sealed record RollKeyRequest(long? GraceSeconds);

public static class KeysEndpoints
{
    public const long MaxGraceSeconds = 7 * 24 * 3600;

    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        // Everyone may see and revoke their own keys; manage:keys widens that to the tenant's keys.
        var group = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization();
        group.MapGet("/", ListAsync).WithSummary("List keys: your own, or the tenant's with manage:keys");
        // No Accepts<> on the posts: a body that is not JSON gets our 400 naming where it broke.
        group.MapPost("/", CreateAsync)
            .WithSummary("Create a named key (with a login key or manage:keys); the plain key is shown once");
        group.MapGet("/{id}", GetAsync).WithSummary("Show a key");
        group.MapDelete("/{id}", RevokeAsync).WithSummary("Revoke a key (idempotent)");
        group.MapPost("/{id}/roll", RollAsync)
            .WithSummary("Give your own key a new secret; the old one works for grace_seconds");
        return app;
    }

    internal static async Task<Results<Ok<ListResponse<KeyResponse>>, ProblemHttpResult>> ListAsync(
        HttpContext context, IControlStore store, KeyService keys, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (Paging.TryRead(context, out var limit, out var cursor) is { } problem) return problem;

        var status = context.Request.Query["status"].FirstOrDefault();
        if (status is not (null or "active" or "all"))
            return HubProblems.InvalidField(context, "status", "must be 'active' or 'all'");

        var user = context.User;
        var userFilter = user.HasPermission(Permissions.ManageKeys)
            ? context.Request.Query["user"].FirstOrDefault()
            : user.GetUserId();
        var page = await store.ListKeysAsync(user.GetTenantId(), userFilter, status == "all", time.GetUtcNow(),
            limit, cursor, cancellationToken);
        var policy = TenantOf(context).Policy;
        return TypedResults.Ok(new ListResponse<KeyResponse>(
            page.Items.Select(k => ToResponse(k, keys, policy)).ToArray(), page.NextCursor));
    }

    internal static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> GetAsync(
        string id, HttpContext context, IControlStore store, KeyService keys, CancellationToken cancellationToken)
    {
        var key = await FindVisibleAsync(id, context, store, cancellationToken);
        return key is null
            ? HubProblems.NotFound(context, "key")
            : TypedResults.Ok(ToResponse(key, keys, TenantOf(context).Policy));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string id, HttpContext context, IControlStore store, KeyService keys, CancellationToken cancellationToken)
    {
        var key = await FindVisibleAsync(id, context, store, cancellationToken);
        if (key is null) return HubProblems.NotFound(context, "key");

        await keys.RevokeAsync(key.TenantId, key.Id, Audit.AuditActor.FromRequest(context), cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Created<KeyResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext context, KeyService keys, RateLimitDefaults limits, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var caller = context.Features.GetRequiredFeature<KeyGrantFeature>().Grant;
        var logger = loggers.CreateLogger(typeof(KeysEndpoints));
        // A login key proves a password was just given; any other key needs manage:keys to mint keys.
        if (!caller.Grant.Key.IsLoginKey && !caller.EffectivePermissions.Contains(Permissions.ManageKeys))
        {
            KeysLog.KeyCreateDenied(logger, caller.Grant.Key.Id, "neither a login key nor manage:keys");
            return MissingPermission(context, Permissions.ManageKeys,
                $"Creating a key needs a login key or the permission '{Permissions.ManageKeys}'.");
        }

        var (request, problem) = await RequestJson.ReadAsync<CreateKeyRequest>(context);
        if (problem is not null) return problem;

        var policy = caller.Grant.Tenant.Policy;
        var errors = new List<FieldError>();
        KeyRules.CheckName(request!.Name, errors);
        KeyRules.CheckPermissions(request.Permissions, errors);

        var lifetime = ReadLifetime(request.ExpiresInSeconds, policy, errors);
        if (request.RateLimit is { } limit) CheckRateLimit(limit, limits.DefaultKeyLimitOf(policy), errors);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        // Never stronger than the caller: the effective set already reflects the caller's role now.
        var beyond = KeyRules.FirstBeyond(request.Permissions!, caller.EffectivePermissions);
        if (beyond is not null)
        {
            KeysLog.KeyCreateDenied(logger, caller.Grant.Key.Id, $"asked for {beyond}");
            return MissingPermission(context, beyond,
                $"A new key may hold only permissions the calling key holds; it lacks '{beyond}'.");
        }

        var issued = await keys.IssueAsync(caller.Grant.User, request.Name!, request.Permissions!, lifetime,
            isLoginKey: false, request.RateLimit, Audit.AuditActor.FromRequest(context), cancellationToken);
        KeysLog.KeyCreated(logger, issued.Record.Id, caller.Grant.Key.Id, caller.Grant.User.Id);

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/v1/keys/{issued.Record.Id}",
            ToResponse(issued.Record, keys, policy) with { Key = issued.PlainKey });
    }

    internal static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> RollAsync(
        string id, HttpContext context, IControlStore store, KeyService keys, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        long grace = 0;
        if (RequestJson.HasBody(context))
        {
            var (request, problem) = await RequestJson.ReadAsync<RollKeyRequest>(context);
            if (problem is not null) return problem;
            grace = request!.GraceSeconds ?? 0;
        }

        if (grace is < 0 or > MaxGraceSeconds)
        {
            return HubProblems.InvalidField(context, "grace_seconds",
                $"must be from 0 to {MaxGraceSeconds} seconds (7 days)");
        }

        // Only the owner rolls, whatever permissions the caller holds: someone else's key is "not found".
        var user = context.User;
        var key = await store.GetKeyAsync(user.GetTenantId(), id, cancellationToken);
        if (key is null || key.UserId != user.GetUserId()) return HubProblems.NotFound(context, "key");

        var policy = TenantOf(context).Policy;
        if (keys.StatusOf(key, policy) != KeyStatuses.Active) return NotRollable(context, keys.StatusOf(key, policy));

        var rolled = await keys.RollAsync(key, TimeSpan.FromSeconds(grace), Audit.AuditActor.FromRequest(context),
            cancellationToken);
        if (rolled is null) return NotRollable(context, KeyStatuses.Revoked);

        KeysLog.KeyRolled(loggers.CreateLogger(typeof(KeysEndpoints)), key.Id, rolled.PreviousSecretValidUntil);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(ToResponse(rolled.Issued.Record, keys, policy) with { Key = rolled.Issued.PlainKey });
    }

    /// <summary>
    /// A key of the caller's tenant that the caller may see: their own, or any with manage:keys. Anything else
    /// is null, answered exactly like an id that never existed.
    /// </summary>
    private static async Task<KeyRecord?> FindVisibleAsync(
        string id, HttpContext context, IControlStore store, CancellationToken cancellationToken)
    {
        var user = context.User;
        var key = await store.GetKeyAsync(user.GetTenantId(), id, cancellationToken);
        if (key is null) return null;
        return key.UserId == user.GetUserId() || user.HasPermission(Permissions.ManageKeys) ? key : null;
    }

    private static Tenant TenantOf(HttpContext context) =>
        context.Features.GetRequiredFeature<KeyGrantFeature>().Grant.Grant.Tenant;

    private static KeyResponse ToResponse(KeyRecord key, KeyService keys, TenantPolicy policy) => new(
        key.Id, key.Name, key.Start, key.UserId, key.Permissions, key.CreatedAt,
        KeyService.EffectiveExpiry(key, policy), key.LastUsedAt, key.RequestCount, key.RevokedAt,
        keys.StatusOf(key, policy), key.RateLimit);

    /// <summary>
    /// The lifetime asked for: absent means the default (30 days or the policy's maximum, if less), JSON null
    /// means never expiring (only where the policy allows it). Null is returned for "never".
    /// </summary>
    private static TimeSpan? ReadLifetime(JsonElement asked, TenantPolicy policy, List<FieldError> errors) =>
        asked.ValueKind switch
        {
            JsonValueKind.Undefined => KeyRules.CheckLifetime(null, neverExpires: false, policy, errors),
            JsonValueKind.Null => KeyRules.CheckLifetime(null, neverExpires: true, policy, errors),
            JsonValueKind.Number when asked.TryGetInt64(out var seconds) && seconds > 0 =>
                KeyRules.CheckLifetime(seconds, neverExpires: false, policy, errors),
            _ => KeyRules.CheckLifetime(0, neverExpires: false, policy, errors),
        };

    /// <summary>A key's own limit: well formed and no looser than <paramref name="tenant"/> (the default).</summary>
    private static void CheckRateLimit(KeyRateLimit limit, KeyRateLimit tenant, List<FieldError> errors)
    {
        if (limit.Requests < 1) errors.Add(FieldError.ForField("rate_limit.requests", "must be a positive integer"));
        if (limit.WindowSeconds is < 1 or > RateLimitOptions.MaxWindowSeconds)
        {
            errors.Add(FieldError.ForField("rate_limit.window_seconds",
                $"must be from 1 to {RateLimitOptions.MaxWindowSeconds} seconds"));
        }

        // requests/window <= default requests/default window, cross-multiplied so no rounding creeps in.
        if (limit is { Requests: > 0, WindowSeconds: > 0 }
            && (long)limit.Requests * tenant.WindowSeconds > (long)tenant.Requests * limit.WindowSeconds)
        {
            errors.Add(FieldError.ForField("rate_limit", $"may be no looser than the tenant's default of " +
                $"{tenant.Requests} requests per {tenant.WindowSeconds} s"));
        }
    }

    private static ProblemHttpResult MissingPermission(HttpContext context, string permission, string detail)
    {
        // Refused inside the handler rather than by a policy: audited like the policies' denials.
        context.RequestServices.GetRequiredService<Audit.AuditRecorder>().RecordPermissionDenied(context, permission);
        context.Response.Headers.WWWAuthenticate =
            $"Bearer realm=\"{KeyAuthenticationHandler.Realm}\", error=\"insufficient_scope\", " +
            $"scope=\"{permission}\"";
        return HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.MissingPermission, detail,
            new Dictionary<string, object?> { ["permission"] = permission });
    }

    // The owner sees the key (GET shows it revoked or expired), so "not found" would contradict that: 409.
    private static ProblemHttpResult NotRollable(HttpContext context, string status) =>
        HubProblems.Conflict(context, $"The key is {status}; only an active key can be rolled. Create a new key.");
}
