using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Events;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Tests.Events;

/// <summary>
/// Runs <c>MapEvents</c> on real Kestrel (loopback, port 0) with a stand-in authentication scheme, to pin what
/// only the full pipeline shows: parameter binding, the authorization policy, JSON on the wire and Kestrel's own
/// body limit. Plain HTTP keeps this about the endpoint; the hub's TLS is tested with the hub.
/// </summary>
public sealed class EventsHttpTests : IAsyncLifetime
{
    private const string TenantHeader = "X-Test-Tenant";
    private const string PermissionsHeader = "X-Test-Permissions";

    private readonly InMemoryEventStore _store = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IEventStore>(_store);
        builder.Services.AddEvents();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization(options => options.AddPolicy(Permissions.WriteEvents,
            policy => policy.RequireClaim(HubClaims.Permission, Permissions.WriteEvents)));

        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapEvents();
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        _client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Post_ValidBatch_200WithSnakeCaseResults()
    {
        using var request = Post("""[{"id":"a","name":"x"},{"id":"a","name":"x"},{"name":""}]""");

        using var response = await _client.SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"accepted":1,"duplicates":1,"rejected":1,"results":[{"index":0,"status":"accepted","id":"a"},""" +
            """{"index":1,"status":"duplicate","id":"a"},""" +
            """{"index":2,"status":"rejected","reason":"name must not be empty"}]}""",
            json);
        Assert.Equal("ten_http", Assert.Single(_store.Stored).TenantId);
    }

    [Fact]
    public async Task Post_KeyWithoutWriteEvents_403AndNothingStored()
    {
        using var request = Post("""{"name":"x"}""", permissions: Permissions.ReadMetrics);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Post_InvalidBody_ProblemJsonNamingTheIndex()
    {
        using var request = Post("[{\"name\":\"a\"},{\"name\":\"\\uD800\"}]");

        using var response = await _client.SendAsync(request);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_request", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(1, problem.RootElement.GetProperty("errors")[0].GetProperty("index").GetInt32());
        Assert.Empty(_store.Stored);
    }

    [Fact]
    public async Task Post_ChunkedBodyOver10MiB_413FromKestrelsLimit()
    {
        var body = new byte[EventBatchParser.MaxBodyBytes + 1];
        Array.Fill(body, (byte)' ');
        using var request = Post("");
        request.Content = new ChunkedContent(body);

        using var response = await _client.SendAsync(request);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", problem.RootElement.GetProperty("code").GetString());
    }

    private static HttpRequestMessage Post(string body, string permissions = Permissions.WriteEvents)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(TenantHeader, "ten_http");
        request.Headers.Add(PermissionsHeader, permissions);
        return request;
    }

    /// <summary>Content without a known length, so HttpClient sends it chunked and only Kestrel can count it.</summary>
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

    /// <summary>Stands in for the hub's key handler: the tenant and permissions come from test headers.</summary>
    private sealed class TestAuthHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "Test";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(TenantHeader, out var tenant))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = Request.Headers[PermissionsHeader].ToString()
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(permission => new Claim(HubClaims.Permission, permission))
                .Append(new Claim(HubClaims.TenantId, tenant.ToString()));
            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
        }
    }
}
