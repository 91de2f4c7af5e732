using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Tenants;

public static class TenantsEndpoints
{
    public static IEndpointRouteBuilder MapTenants(this IEndpointRouteBuilder app)
    {
        // The operator creates tenants but does not read their data: admin:hub grants nothing inside a tenant.
        var operatorGroup = app.MapGroup("/v1/tenants").WithTags("Tenants").RequireAuthorization(Permissions.AdminHub);
        operatorGroup.MapPost("/", CreateAsync).Accepts<CreateTenantRequest>("application/json")
            .Produces<CreatedTenantResponse>(StatusCodes.Status201Created)
            .WithSummary("Create a tenant with its owner (operator)");
        operatorGroup.MapGet("/", ListAsync).WithSummary("List tenants (operator)");

        app.MapGet("/v1/tenant", GetOwn).WithTags("Tenants").RequireAuthorization()
            .WithSummary("Show the caller's tenant and its policy");
        return app;
    }

    internal static async Task<Results<Created<CreatedTenantResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext context, TenantService tenants, RateLimitDefaults limits, CancellationToken cancellationToken)
    {
        var (request, problem) = await RequestJson.ReadAsync<CreateTenantRequest>(context);
        if (problem is not null) return problem;

        var errors = TenantService.Validate(request!.Slug, request.Name, request.Owner?.Username,
            request.Owner?.Password);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        var result = await tenants.CreateAsync(request.Slug!, request.Name ?? request.Slug!,
            request.Owner!.Username!, request.Owner.Password, ownerIsOperator: false,
            Audit.AuditActor.FromRequest(context), cancellationToken);
        if (result is not var (created, outcome))
            return HubProblems.Overloaded(context, "Password hashing is saturated; retry shortly.", 1);
        if (outcome == CreateTenantOutcome.SlugTaken)
            return HubProblems.Conflict(context, $"The slug '{request.Slug}' is taken.");
        if (outcome == CreateTenantOutcome.UsernameTaken)
            return HubProblems.Conflict(context, $"The username '{request.Owner.Username}' is taken.");

        var (tenant, owner) = (created!.Tenant, created.Owner);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created((string?)null, new CreatedTenantResponse(tenant.Id, tenant.Slug, tenant.Name,
            tenant.CreatedAt, limits.Resolve(tenant.Policy), new OwnerResponse(owner.Id, owner.Username, owner.Role,
                created.GeneratedPassword)));
    }

    internal static async Task<Results<Ok<ListResponse<TenantResponse>>, ProblemHttpResult>> ListAsync(
        HttpContext context, IControlStore store, RateLimitDefaults limits, CancellationToken cancellationToken)
    {
        if (Paging.TryRead(context, out var limit, out var cursor) is { } problem) return problem;

        var page = await store.ListTenantsAsync(limit, cursor, cancellationToken);
        return TypedResults.Ok(new ListResponse<TenantResponse>(
            page.Items.Select(t => TenantResponse.From(t, limits)).ToArray(), page.NextCursor));
    }

    internal static Ok<TenantResponse> GetOwn(HttpContext context, RateLimitDefaults limits) =>
        TypedResults.Ok(TenantResponse.From(
            context.Features.GetRequiredFeature<KeyGrantFeature>().Grant.Grant.Tenant, limits));
}
