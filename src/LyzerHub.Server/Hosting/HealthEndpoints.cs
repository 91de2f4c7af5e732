using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Hosting;

public sealed record HealthResponse(string Status);

public sealed record ProblemExplanation(string Code, string Title, string Detail);

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthAndProblems(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).AllowAnonymous().WithTags("Health");
        app.MapGet("/readyz", ReadyAsync).AllowAnonymous().WithTags("Health");
        app.MapGet("/problems/{code}", Explain).AllowAnonymous().WithTags("Problems")
            .WithSummary("Explain a problem type");
        return app;
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> ReadyAsync(
        HttpContext context, IControlStore controlStore, IEventStore eventStore,
        CancellationToken cancellationToken)
    {
        var ready = await controlStore.IsReadyAsync(cancellationToken);
        ready &= await eventStore.IsReadyAsync(cancellationToken);
        return ready
            ? TypedResults.Ok(new HealthResponse("ready"))
            : HubProblems.Overloaded(context, "A store is not reachable.", 5);
    }

    private static Results<Ok<ProblemExplanation>, ProblemHttpResult> Explain(string code, HttpContext context) =>
        ProblemCatalog.ExplanationOf(code) is { } explanation
            ? TypedResults.Ok(new ProblemExplanation(code, ProblemCatalog.TitleOf(code), explanation))
            : HubProblems.NotFound(context, "problem type");
}
