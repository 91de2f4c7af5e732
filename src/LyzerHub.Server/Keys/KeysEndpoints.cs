using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Keys;

/// <summary>A key's record as the API shows it (PRODUCT.md §4.3); never the secret.</summary>
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
    string Status);

public static class KeysEndpoints
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        // Everyone may see and revoke their own keys; manage:keys widens that to the tenant's keys.
        var group = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization();
        group.MapGet("/", ListAsync).WithSummary("List keys: your own, or the tenant's with manage:keys");
        group.MapGet("/{id}", GetAsync).WithSummary("Show a key");
        group.MapDelete("/{id}", RevokeAsync).WithSummary("Revoke a key (idempotent)");
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

        await keys.RevokeAsync(key.TenantId, key.Id, cancellationToken);
        return TypedResults.NoContent();
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
        keys.StatusOf(key, policy));
}
