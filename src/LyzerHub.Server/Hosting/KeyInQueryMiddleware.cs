using LyzerHub.Server.Problems;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Refuses a key put in the query string (PRODUCT.md §4.7) before anything else sees the request: URLs end up
/// in proxies, browser history and logs, so a key there must be treated as leaked, never accepted.
/// </summary>
public static class KeyInQueryMiddleware
{
    private static readonly string[] s_names = ["api_key", "key", "token", "access_token"];

    public static IApplicationBuilder UseKeyInQueryRefusal(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var query = context.Request.Query;
            if (query.Count > 0 && s_names.Any(query.ContainsKey))
            {
                await HubProblems.Create(context, StatusCodes.Status400BadRequest, ProblemCodes.KeyInQuery,
                        "Keys go in the Authorization header, never in a URL; revoke a key that was put in one.")
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
}
