namespace LyzerHub.Server.WebConsole;

/// <summary>Marks the console's endpoints (pages and assets), which get the browser security headers.</summary>
public sealed class ConsoleEndpointMetadata
{
    public static readonly ConsoleEndpointMetadata Instance = new();
}

/// <summary>
/// Security headers for console answers: a Content-Security-Policy that allows only the hub's own script and
/// style (no inline script at all, so no hashes are needed), no framing, HSTS, and no caching of pages that
/// may show a key once. API answers are left alone: they are not rendered by browsers, and the hot path
/// should not pay for headers nobody reads (the check here is one metadata lookup).
/// </summary>
public static class ConsoleSecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    // A year, as browsers' preload lists expect; no includeSubDomains, since the hub does not own its parent.
    public const string StrictTransportSecurity = "max-age=31536000";

    public static IApplicationBuilder UseConsoleSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ConsoleEndpointMetadata>() is not null
                || context.Request.Path.StartsWithSegments(ConsoleServiceCollectionExtensions.AssetsPath))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                if (context.Request.IsHttps) headers.StrictTransportSecurity = StrictTransportSecurity;
                // Set last, when the answer starts: antiforgery sets its own no-cache headers (and warns when it
                // finds others already there), and either way a page that showed a key must never be cached.
                if (!context.Request.Path.StartsWithSegments(ConsoleServiceCollectionExtensions.AssetsPath))
                    context.Response.OnStarting(NoStore, context.Response);
            }

            return next(context);
        });

    private static Task NoStore(object state)
    {
        ((HttpResponse)state).Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }
}
