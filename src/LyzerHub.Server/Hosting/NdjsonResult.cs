using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Hosting;

/// <summary>The NDJSON media type of exports (<c>GET /v1/events</c>, <c>GET /v1/audit</c>).</summary>
public static class Ndjson
{
    public const string MediaType = "application/x-ndjson";

    /// <summary>Whether the request asks for NDJSON (either common name, any quality but 0).</summary>
    public static bool IsAccepted(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.Quality is not 0
            && (accept.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase)
                || accept.MediaType.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>
/// Streams items as NDJSON, one object per line, flushing as it goes: memory stays at one chunk of rows whatever
/// the export's size. A failure after the first line can only cut the stream short (the status is already sent);
/// the client sees a body that does not end in a newline.
/// </summary>
public sealed class NdjsonResult<TItem, TLine>(IAsyncEnumerable<TItem> items, Func<TItem, TLine> toLine) : IResult
{
    // Small enough that a slow export shows progress, large enough that flushes do not dominate.
    private const int FlushEvery = 256;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var options = httpContext.RequestServices
            .GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Ndjson.MediaType + "; charset=utf-8";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var body = response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body);
        var pending = 0;
        await foreach (var item in items.WithCancellation(httpContext.RequestAborted))
        {
            JsonSerializer.Serialize(writer, toLine(item), options);
            writer.Flush();
            writer.Reset();
            body.Write("\n"u8);
            if (++pending == FlushEvery)
            {
                pending = 0;
                await body.FlushAsync(httpContext.RequestAborted);
            }
        }

        await body.FlushAsync(httpContext.RequestAborted);
    }
}
