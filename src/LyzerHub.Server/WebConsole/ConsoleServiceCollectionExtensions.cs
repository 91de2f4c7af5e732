using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.RateLimits;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.WebConsole;

public static class ConsoleServiceCollectionExtensions
{
    /// <summary>Where the console's stylesheet and script are served; embedded in the hub's assembly.</summary>
    public const string AssetsPath = "/console-assets";

    /// <summary>
    /// The web console (PRODUCT.md §7): Razor Pages under <c>WebConsole/Pages</c>, a cookie scheme of its own with
    /// server-side sessions, antiforgery cookies, and Data Protection keys kept owner-only under DataDir.
    /// </summary>
    public static IServiceCollection AddConsole(this IServiceCollection services, HubOptions hub)
    {
        services.AddDataProtection().SetApplicationName("LyzerHub");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = new OwnerOnlyXmlRepository(
                Path.Combine(hub.DataDirFullPath, "keys"), provider.GetRequiredService<ILoggerFactory>())));

        services.AddSingleton<ConsoleSessionStore>();
        services.AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>, ConsoleCookieOptionsSetup>();
        services.AddAuthentication().AddCookie(ConsoleAuth.Scheme, options =>
        {
            options.Cookie.Name = ConsoleAuth.CookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.Path = "/";
            options.LoginPath = "/signin";
            options.LogoutPath = "/signout";
            options.AccessDeniedPath = "/denied";
            options.ReturnUrlParameter = "returnUrl";
            options.ExpireTimeSpan = ConsoleAuth.SessionLifetime;
            options.SlidingExpiration = false;
            options.Events.OnValidatePrincipal = ConsoleAuth.ValidateAsync;
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(ConsoleAuth.SignedIn, policy => policy
                .AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser())
            .AddPolicy(ConsoleAuth.ManageUsers, policy => policy
                .AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                .RequireClaim(HubClaims.Permission, Permissions.ManageUsers))
            .AddPolicy(ConsoleAuth.ReadAudit, policy => policy
                .AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                .RequireClaim(HubClaims.Permission, Permissions.ReadAudit));

        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = ConsoleAuth.AntiforgeryCookieName;
            options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
            options.FormFieldName = "__antiforgery";
        });

        services.AddRazorPages(options =>
        {
            options.RootDirectory = "/WebConsole/Pages";
            options.Conventions.AuthorizeFolder("/", ConsoleAuth.SignedIn);
            options.Conventions.AllowAnonymousToPage("/SignIn");
            // The same per-address request limit as POST /v1/auth/key: the console is a second door to passwords.
            options.Conventions.AddPageApplicationModelConvention("/SignIn", page =>
                page.EndpointMetadata.Add(new AddressRateLimitMetadata(EvenWithKey: true)));
            options.Conventions.AuthorizePage("/Team", ConsoleAuth.ManageUsers);
            options.Conventions.AuthorizePage("/Offboard", ConsoleAuth.ManageUsers);
            options.Conventions.AuthorizePage("/Audit", ConsoleAuth.ReadAudit);
        })
            // Named, not found through the entry assembly: under a test host that is the test runner.
            .AddApplicationPart(typeof(ConsoleAuth).Assembly);
        return services;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = AssetsPath,
            FileProvider = new EmbeddedFileProvider(typeof(ConsoleAuth).Assembly, "LyzerHub.Server.WebConsole.Assets"),
        });
        app.MapRazorPages().WithMetadata(ConsoleEndpointMetadata.Instance);
        return app;
    }
}
