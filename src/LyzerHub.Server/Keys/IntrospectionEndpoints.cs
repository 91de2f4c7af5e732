using System.Text.Json.Serialization;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Keys;

public sealed record IntrospectionRequest(string? Token);

/// <summary>
/// RFC 7662 token introspection. Every member but <c>active</c> is left out when null, so an inactive answer is
/// exactly <c>{"active": false}</c> and says nothing about why.
/// </summary>
public sealed record IntrospectionResponse(
    bool Active,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scope = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tenant = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? KeyId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Exp = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Iat = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TokenType = null)
{
    public static readonly IntrospectionResponse Inactive = new(false);
}

public static class IntrospectionEndpoints
{
    public static IEndpointRouteBuilder MapKeyIntrospection(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth/introspect", IntrospectAsync).WithTags("Auth")
            .RequireAuthorization(Permissions.ManageKeys)
            .WithSummary("RFC 7662: is this key active in your tenant, and what may it do?");
        return app;
    }

    internal static async Task<Results<Ok<IntrospectionResponse>, ProblemHttpResult>> IntrospectAsync(
        HttpContext context, KeyService keys, CancellationToken cancellationToken)
    {
        string? token;
        if (context.Request.HasFormContentType)
        {
            // RFC 7662 §2.1 sends the token as a form; JSON is accepted too, like the rest of the API.
            var form = await context.Request.ReadFormAsync(cancellationToken);
            token = form["token"].FirstOrDefault();
        }
        else
        {
            var (request, problem) = await RequestJson.ReadAsync<IntrospectionRequest>(context);
            if (problem is not null) return problem;
            token = request!.Token;
        }

        if (string.IsNullOrEmpty(token)) return HubProblems.InvalidField(context, "token", "is required");

        // An introspection answer describes a credential: no cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        var caller = context.Features.GetRequiredFeature<KeyGrantFeature>().Grant.Grant.Tenant;
        var found = await keys.FindActiveAsync(token.AsMemory(), cancellationToken);
        // Another tenant's key is answered exactly like an unknown one: nothing crosses tenants.
        if (found is null || found.Grant.Tenant.Id != caller.Id)
            return TypedResults.Ok(IntrospectionResponse.Inactive);

        var grant = found.Grant;
        return TypedResults.Ok(new IntrospectionResponse(
            Active: true,
            Scope: string.Join(' ', found.EffectivePermissions),
            Username: grant.User.Username,
            Tenant: grant.Tenant.Slug,
            KeyId: grant.Key.Id,
            Exp: found.ValidUntil?.ToUnixTimeSeconds(),
            Iat: grant.Key.CreatedAt.ToUnixTimeSeconds(),
            TokenType: "bearer"));
    }
}
