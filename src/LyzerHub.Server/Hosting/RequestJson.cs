using System.Text.Json;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Reads a JSON request body with the API's naming rules and answers a malformed one with a 400 problem that
/// names where it broke, instead of the framework's generic bad-request answer.
/// </summary>
public static class RequestJson
{
    /// <summary>Bodies of the control endpoints are small; larger ones are refused before parsing.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        if (context.Request.ContentLength > MaxBodyBytes)
            return (null, HubProblems.Create(context, StatusCodes.Status413PayloadTooLarge,
                ProblemCodes.PayloadTooLarge, $"The body exceeds {MaxBodyBytes} bytes."));

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, options, context.RequestAborted);
            return value is null
                ? (null, HubProblems.InvalidField(context, "body", "must be a JSON object"))
                : (value, null);
        }
        catch (JsonException e) when (IsSyntaxError(e))
        {
            return (null, HubProblems.InvalidField(context, "body", NotJson(e)));
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, HubProblems.InvalidField(context, field, "has the wrong JSON type"));
        }
    }

    /// <summary>
    /// Where a body stopped being JSON. The reader's own message is not used: it quotes the offending character,
    /// which in a login body may be part of a password.
    /// </summary>
    public static string NotJson(JsonException e) =>
        $"is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})";

    // The serializer reports broken syntax with the reader's exception inside, a wrong type without it.
    private static bool IsSyntaxError(JsonException e) =>
        e.InnerException?.GetType().Name == "JsonReaderException";

    /// <summary>True when the request has a body to read (a length above zero, or chunked).</summary>
    public static bool HasBody(HttpContext context) =>
        context.Request.ContentLength is > 0 || (context.Request.ContentLength is null
            && context.Request.Headers.TransferEncoding.Count > 0);
}
