using LyzerHub.Server.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace LyzerHub.Server.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>Key authentication, one authorization policy per permission, password hashing and key checks.</summary>
    public static IServiceCollection AddHubAuth(this IServiceCollection services)
    {
        services.AddSingleton<PasswordHashingSlots>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<PasswordLogin>();
        services.AddSingleton<KeyCache>();
        services.AddSingleton<KeyService>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, PermissionDeniedResultHandler>();

        services.AddAuthentication(KeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, KeyAuthenticationHandler>(KeyAuthenticationHandler.SchemeName,
                _ => { });

        services.AddAuthorization(options =>
        {
            options.DefaultPolicy = new AuthorizationPolicyBuilder(KeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .Build();
            foreach (var permission in Permissions.All)
            {
                options.AddPolicy(permission, policy => policy
                    .AddAuthenticationSchemes(KeyAuthenticationHandler.SchemeName)
                    .RequireAuthenticatedUser()
                    .RequireClaim(HubClaims.Permission, permission));
            }
        });
        return services;
    }
}
