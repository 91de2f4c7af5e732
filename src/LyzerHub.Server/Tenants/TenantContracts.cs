using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tenants;

public sealed record CreateTenantRequest(string? Slug, string? Name, OwnerRequest? Owner);

public sealed record OwnerRequest(string? Username, string? Password);

/// <summary>A tenant as the API shows it; its policy's rate limits are those in force, hub defaults included.</summary>
public sealed record TenantResponse(string Id, string Slug, string Name, DateTimeOffset CreatedAt, TenantPolicy Policy)
{
    public static TenantResponse From(Tenant tenant, RateLimitDefaults limits) =>
        new(tenant.Id, tenant.Slug, tenant.Name, tenant.CreatedAt, limits.Resolve(tenant.Policy));
}

/// <summary>
/// The owner created with a tenant; <see cref="Password"/> only when the hub generated it (shown once).
/// </summary>
public sealed record OwnerResponse(string Id, string Username, string Role, string? Password);

public sealed record CreatedTenantResponse(
    string Id, string Slug, string Name, DateTimeOffset CreatedAt, TenantPolicy Policy, OwnerResponse Owner);
