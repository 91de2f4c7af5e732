using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LyzerHub.Client;

/// <summary>The wire format and the one place where answers become results or <see cref="LyzerHubException"/>.
/// </summary>
internal static class HubJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static JsonContent Content<T>(T value) => JsonContent.Create(value, options: Options);

    /// <summary>Sends and reads the answer as <typeparamref name="T"/>, or throws the hub's problem.</summary>
    public static async Task<T> SendAsync<T>(
        HttpClient http, HttpRequestMessage request, TimeProvider time, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(http, request, time, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Options, cancellationToken)
                ?? throw InvalidResponse(response, null);
        }
        catch (JsonException e)
        {
            throw InvalidResponse(response, e);
        }
    }

    /// <summary>Sends, throws the hub's problem on failure, and hands back a successful answer.</summary>
    public static async Task<HttpResponseMessage> SendRawAsync(
        HttpClient http, HttpRequestMessage request, TimeProvider time, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new LyzerHubException(null, "unreachable",
                $"Cannot reach the hub at {http.BaseAddress}: {e.Message}", isRetryable: true, innerException: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the caller's cancellation: an attempt timeout or the client's own timeout ran out.
            throw new LyzerHubException(null, "timeout", $"The hub at {http.BaseAddress} did not answer in time.",
                isRetryable: true, innerException: e);
        }
        catch (Polly.Timeout.TimeoutRejectedException e)
        {
            throw new LyzerHubException(null, "timeout", $"The hub at {http.BaseAddress} did not answer in time.",
                isRetryable: true, innerException: e);
        }

        if (response.IsSuccessStatusCode) return response;

        using (response)
        {
            throw await ProblemAsync(response, time, cancellationToken);
        }
    }

    public static async Task<LyzerHubException> ProblemAsync(
        HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        string? code = null;
        string? detail = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (JsonNode.Parse(body) is JsonObject problem)
            {
                code = problem["code"]?.GetValueKind() == JsonValueKind.String ? (string?)problem["code"] : null;
                detail = problem["detail"]?.GetValueKind() == JsonValueKind.String
                    ? (string?)problem["detail"]
                    : null;
                detail ??= problem["title"]?.GetValueKind() == JsonValueKind.String ? (string?)problem["title"] : null;
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page, say): the status alone has to do.
        }

        var retryable = status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable
            or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout;
        return new LyzerHubException(status, code ?? "http_" + ((int)status).ToString(CultureInfo.InvariantCulture),
            detail ?? $"The hub answered {(int)status} {response.ReasonPhrase}.", retryable,
            RetryAfter(response.Headers.RetryAfter, time));
    }

    /// <summary>The wait a <c>Retry-After</c> asks for; a date already past means zero (retry now).</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static LyzerHubException InvalidResponse(HttpResponseMessage response, Exception? inner) =>
        new(response.StatusCode, "invalid_response", "The hub's answer could not be read.", isRetryable: false,
            innerException: inner);
}
