using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Events;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.Events;

/// <summary>
/// <c>POST /v1/events</c> through the whole hub: real key authentication, HTTPS, the DuckDB store. What was
/// stored is read back through the metrics API, never from the test's own bookkeeping.
/// </summary>
public sealed class EventsHttpTests : IAsyncLifetime
{
    private HubHost _hub = null!;
    private HttpClient _writer = null!;
    private HttpClient _reader = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubHost.StartAsync();
        _writer = _hub.Client(await _hub.LoginKeyAsync(extra: new { permissions = new[] { "write:events" } }));
        _reader = _hub.Client(await _hub.LoginKeyAsync(extra: new { permissions = new[] { "read:metrics" } }));
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Post_ValidBatch_200WithSnakeCaseResults()
    {
        using var response = await _writer.PostAsync("/v1/events",
            Json("""[{"id":"a","name":"x"},{"id":"a","name":"x"},{"name":""}]"""));
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"accepted":1,"duplicates":1,"rejected":1,"results":[{"index":0,"status":"accepted","id":"a"},""" +
            """{"index":1,"status":"duplicate","id":"a"},""" +
            """{"index":2,"status":"rejected","reason":"name must not be empty"}]}""",
            json);
        Assert.Equal(1, await CountAsync("x"));
    }

    [Fact]
    public async Task Post_KeyWithoutWriteEvents_403NamingItAndNothingStored()
    {
        using var response = await _reader.PostAsync("/v1/events", Json("""{"name":"x"}"""));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("write:events", (string)problem!["permission"]!);
        Assert.Equal(0, await CountAsync("x"));
    }

    [Fact]
    public async Task Post_InvalidBody_ProblemJsonNamingTheIndexAndNothingStored()
    {
        using var response = await _writer.PostAsync("/v1/events", Json("[{\"name\":\"x\"},{\"name\":\"\\uD800\"}]"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_request", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(1, problem.RootElement.GetProperty("errors")[0].GetProperty("index").GetInt32());
        Assert.Equal(0, await CountAsync("x"));
    }

    [Fact]
    public async Task Post_ChunkedBodyOver10MiB_413()
    {
        var body = new byte[EventBatchParser.MaxBodyBytes + 1];
        Array.Fill(body, (byte)' ');
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new ChunkedContent(body),
        };
        request.Content.Headers.ContentType = new("application/json");

        using var response = await _writer.SendAsync(request);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", problem.RootElement.GetProperty("code").GetString());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<long> CountAsync(string name)
    {
        using var response = await _reader.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = name, measure = "count", from = "2000-01-01T00:00:00Z", to = "2100-01-01T00:00:00Z",
        });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, json?.ToJsonString());
        return (long)json!["series"]![0]!["total"]!;
    }

    /// <summary>
    /// Content without a known length, so HttpClient sends it chunked and only the server can count it.
    /// </summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
