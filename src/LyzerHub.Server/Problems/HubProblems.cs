using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.Problems;

/// <summary>One invalid field (by name) or item (by index) of a request, listed in a 400 problem.</summary>
public sealed record FieldError(string? Field, int? Index, string Reason)
{
    public static FieldError ForField(string field, string reason) => new(field, null, reason);

    public static FieldError ForIndex(int index, string reason) => new(null, index, reason);

    internal Dictionary<string, object> ToJson()
    {
        var json = new Dictionary<string, object>(2);
        if (Field is not null) json["field"] = Field;
        if (Index is not null) json["index"] = Index.Value;
        json["reason"] = Reason;
        return json;
    }
}

/// <summary>
/// Builds the RFC 9457 problems of PRODUCT.md §4.7: a relative <c>type</c> the hub explains at
/// <c>/problems/{code}</c>, the stable <c>code</c>, the request id, and the path (never the query string,
/// which may hold a key) as <c>instance</c>.
/// </summary>
public static class HubProblems
{
    public static ProblemHttpResult Create(
        HttpContext context, int status, string code, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails
        {
            Type = $"/problems/{code}",
            Title = ProblemCatalog.TitleOf(code),
            Status = status,
            Detail = detail,
            Instance = context.Request.Path.Value,
        };
        problem.Extensions["code"] = code;
        problem.Extensions["request_id"] = context.TraceIdentifier;
        if (extensions is not null)
        {
            foreach (var (name, value) in extensions) problem.Extensions[name] = value;
        }

        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult InvalidRequest(HttpContext context, IReadOnlyList<FieldError> errors)
    {
        var detail = errors.Count == 1 ? Describe(errors[0]) : $"{errors.Count} fields are invalid.";
        return Create(context, StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, detail,
            new Dictionary<string, object?> { ["errors"] = errors.Select(e => e.ToJson()).ToArray() });
    }

    public static ProblemHttpResult InvalidField(HttpContext context, string field, string reason) =>
        InvalidRequest(context, [FieldError.ForField(field, reason)]);

    public static ProblemHttpResult NotFound(HttpContext context, string what) =>
        Create(context, StatusCodes.Status404NotFound, ProblemCodes.NotFound, $"No {what} with that id.");

    public static ProblemHttpResult Conflict(HttpContext context, string detail) =>
        Create(context, StatusCodes.Status409Conflict, ProblemCodes.Conflict, detail);

    public static ProblemHttpResult Overloaded(HttpContext context, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter =
            retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(context, StatusCodes.Status503ServiceUnavailable, ProblemCodes.Overloaded, detail);
    }

    private static string Describe(FieldError error) => error switch
    {
        { Field: { } field } => $"{field}: {error.Reason}",
        { Index: { } index } => $"item {index}: {error.Reason}",
        _ => error.Reason,
    };
}
