using System.IO.Compression;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Events;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Events;

/// <summary>
/// Drives the handler with a plain <see cref="DefaultHttpContext"/>: the authorization policy and routing belong
/// to the host, while these tests pin what the handler answers for each body.
/// </summary>
public sealed class EventsEndpointsTests : IAsyncLifetime
{
    private const string Tenant = "ten_test";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset s_now = new(2026, 12, 3, 19, 0, 0, TimeSpan.Zero);

    private readonly InMemoryEventStore _store = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly IOptions<EventsOptions> _options = Options.Create(new EventsOptions { RetryAfterSeconds = 2 });
    private readonly EventBatchParser _parser = new(new FakeTimeProvider(s_now));
    private readonly EventBodyBudget _budget = new(256L * 1024 * 1024);
    private readonly EventWriter _writer;

    public EventsEndpointsTests()
    {
        _loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        _writer = new EventWriter(_store, _options, _loggerFactory.CreateLogger<EventWriter>());
    }

    public Task InitializeAsync() => _writer.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(CancellationToken.None).WaitAsync(s_timeout);
        _writer.Dispose();
        _loggerFactory.Dispose();
    }

    [Fact]
    public async Task Ingest_MixedBatch_AnswersEachItemAndStoresTheValidOnes()
    {
        var body = """[{"id":"a","name":"x"},{"id":"a","name":"x"},{"name":""},{"name":"y"}]""";

        var response = await OkAsync(Request(body));

        Assert.Equal((2, 1, 1), (response.Accepted, response.Duplicates, response.Rejected));
        Assert.Equal(["accepted", "duplicate", "rejected", "accepted"], response.Results.Select(r => r.Status));
        Assert.Equal("a", response.Results[1].Id);
        Assert.Equal("name must not be empty", response.Results[2].Reason);
        Assert.StartsWith("evt_", response.Results[3].Id, StringComparison.Ordinal);
        Assert.Equal(["a", response.Results[3].Id], _store.Stored.Select(e => e.Id));
        Assert.All(_store.Stored, e => Assert.Equal(Tenant, e.TenantId));
    }

    [Fact]
    public void Response_Serialized_UsesSnakeCaseAndOmitsNullReason()
    {
        var response = new EventIngestResponse(1, 0, 1,
            [new EventResult(0, "accepted", "a", null), new EventResult(1, "rejected", null, "name is required")]);

        var json = JsonSerializer.Serialize(response);

        Assert.Equal(
            """{"accepted":1,"duplicates":0,"rejected":1,"results":[""" +
            """{"index":0,"status":"accepted","id":"a"},""" +
            """{"index":1,"status":"rejected","reason":"name is required"}]}""",
            json);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    public async Task Ingest_JsonContentType_Accepted(string? contentType)
    {
        var response = await OkAsync(Request("""{"name":"a"}""", contentType));

        Assert.Equal(1, response.Accepted);
    }

    [Fact]
    public async Task Ingest_Ndjson_ParsedLineByLine()
    {
        var response = await OkAsync(Request("{\"name\":\"a\"}\n\n{\"name\":\"b\"}\n", "application/x-ndjson"));

        Assert.Equal(2, response.Accepted);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=latin1")]
    public async Task Ingest_OtherContentType_415(string contentType)
    {
        var problem = await ProblemAsync(Request("""{"name":"a"}""", contentType));

        AssertProblem(problem, 415, ProblemCodes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Ingest_UnknownContentEncoding_415()
    {
        var context = Request("""{"name":"a"}""");
        context.Request.Headers.ContentEncoding = "br";

        var problem = await ProblemAsync(context);

        AssertProblem(problem, 415, ProblemCodes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Ingest_Gzip_Inflated()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync("""{"name":"a"}"""u8.ToArray());
        }

        var context = Request("");
        context.Request.Body = new MemoryStream(compressed.ToArray());
        context.Request.Headers.ContentEncoding = "gzip";

        var response = await OkAsync(context);

        Assert.Equal(1, response.Accepted);
    }

    [Fact]
    public async Task Ingest_StrictWithRejectedItem_400ListingItAndStoresNothing()
    {
        var context = Request("""[{"name":"a"},{"name":5},{"name":"c"},{}]""", query: "?strict=true");

        var problem = await ProblemAsync(context);

        AssertProblem(problem, 400, ProblemCodes.InvalidRequest);
        var errors = Assert.IsType<Dictionary<string, object>[]>(problem.ProblemDetails.Extensions["errors"]);
        Assert.Equal([1, 3], errors.Select(e => (int)e["index"]));
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Ingest_StrictAllValid_Stored()
    {
        var response = await OkAsync(Request("""[{"name":"a"},{"name":"b"}]""", query: "?strict=true"));

        Assert.Equal(2, response.Accepted);
    }

    [Fact]
    public async Task Ingest_StrictNotBoolean_400()
    {
        var problem = await ProblemAsync(Request("""{"name":"a"}""", query: "?strict=yes"));

        AssertProblem(problem, 400, ProblemCodes.InvalidRequest);
    }

    [Fact]
    public async Task Ingest_BodyBreaksIJson_400AndNothingStored()
    {
        var problem = await ProblemAsync(Request("""[{"name":"a"},{"name":"b","name":"c"}]"""));

        AssertProblem(problem, 400, ProblemCodes.InvalidRequest);
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Ingest_TooManyEvents_413AndNothingStored()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"name":"a"}""", EventBatchParser.MaxEvents + 1)) + "]";

        var problem = await ProblemAsync(Request(body));

        AssertProblem(problem, 413, ProblemCodes.PayloadTooLarge);
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Ingest_ContentLengthOverLimit_413WithoutReading()
    {
        var context = Request("""{"name":"a"}""");
        context.Request.ContentLength = EventBatchParser.MaxBodyBytes + 1L;

        var problem = await ProblemAsync(context);

        AssertProblem(problem, 413, ProblemCodes.PayloadTooLarge);
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task Ingest_QueueFull_503WithRetryAfter()
    {
        var store = new InMemoryEventStore(gated: true);
        var options = Options.Create(new EventsOptions { QueueCapacity = 1, RetryAfterSeconds = 2 });
        var writer = new EventWriter(store, options, _loggerFactory.CreateLogger<EventWriter>());
        await writer.StartAsync(CancellationToken.None);
        var first = IngestAsync(Request("""{"name":"a"}"""), writer, options);
        await store.FirstAppendStarted.Task.WaitAsync(s_timeout);
        var second = IngestAsync(Request("""{"name":"b"}"""), writer, options);
        var context = Request("""{"name":"c"}""");

        var problem = Assert.IsType<ProblemHttpResult>((await IngestAsync(context, writer, options)).Result);
        store.Open();
        await Task.WhenAll(first, second).WaitAsync(s_timeout);
        await writer.StopAsync(CancellationToken.None).WaitAsync(s_timeout);
        writer.Dispose();

        AssertProblem(problem, 503, ProblemCodes.Overloaded);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal(["a", "b"], store.Stored.Select(e => e.Name));
    }

    [Fact]
    public async Task Ingest_BodyBytesInFlightExhausted_503WithRetryAfter()
    {
        using var held = _budget.CreateLease();
        held.TryGrowTo(256L * 1024 * 1024 - 1024);
        var context = Request("[" + string.Join(",", Enumerable.Repeat("""{"name":"a"}""", 1000)) + "]");

        var problem = await ProblemAsync(context);

        AssertProblem(problem, 503, ProblemCodes.Overloaded);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Ingest_Answered_ReleasesItsBodyBytes()
    {
        await OkAsync(Request("""[{"name":"a"},{"name":"b"}]"""));

        Assert.Equal(0, _budget.InUse);
    }

    [Fact]
    public async Task Ingest_StoreFails_500()
    {
        _store.Failure = new IOException("disk full");

        var problem = await ProblemAsync(Request("""{"name":"a"}"""));

        AssertProblem(problem, 500, ProblemCodes.InternalError);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 4002 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Ingest_AnyRequest_LogsNoEventContents()
    {
        const string secret = "s3cr3t-property-value";
        var body = """
            [{"id":"S-id","name":"S-name","distinct_id":"S-user","properties":{"S-key":"S"}},
             {"name":"","properties":{"k":"S"}}]
            """.Replace("S", secret, StringComparison.Ordinal);

        await OkAsync(Request(body));

        Assert.Contains(_logs.Entries, e => e.EventId.Id == 4010);
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal));
    }

    private async Task<EventIngestResponse> OkAsync(DefaultHttpContext context)
    {
        var result = await IngestAsync(context, _writer, _options);
        return Assert.IsType<Ok<EventIngestResponse>>(result.Result).Value!;
    }

    private async Task<ProblemHttpResult> ProblemAsync(DefaultHttpContext context)
    {
        var result = await IngestAsync(context, _writer, _options);
        return Assert.IsType<ProblemHttpResult>(result.Result);
    }

    private Task<Results<Ok<EventIngestResponse>, ProblemHttpResult>> IngestAsync(
        DefaultHttpContext context, EventWriter writer, IOptions<EventsOptions> options) =>
        EventsEndpoints.IngestAsync(context, _parser, writer, _budget, options, _loggerFactory).WaitAsync(s_timeout);

    private static void AssertProblem(ProblemHttpResult problem, int status, string code)
    {
        Assert.Equal(status, problem.StatusCode);
        Assert.Equal(code, problem.ProblemDetails.Extensions["code"]);
        Assert.Equal($"/problems/{code}", problem.ProblemDetails.Type);
        Assert.Equal("/v1/events", problem.ProblemDetails.Instance);
    }

    private static DefaultHttpContext Request(string body, string? contentType = "application/json", string query = "")
    {
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(HubClaims.TenantId, Tenant)], "test")),
        };
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/v1/events";
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return context;
    }

    private sealed record LogEntry(EventId EventId, LogLevel Level, string Message);

    /// <summary>Keeps every formatted message and exception text, so a test can scan them for event data.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            _entries.Enqueue(new LogEntry(eventId, logLevel, formatter(state, exception) + " " + exception));
        }

        public void Dispose()
        {
        }
    }
}
