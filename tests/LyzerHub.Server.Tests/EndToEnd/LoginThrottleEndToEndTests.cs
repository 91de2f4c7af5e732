using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Tests.TestSupport;

namespace LyzerHub.Server.Tests.EndToEnd;

/// <summary>
/// Failed-login throttling through the hub. The test client plays a proxy on loopback (Hub:KnownProxies) so that
/// X-Forwarded-For can stand for different client addresses.
/// </summary>
public sealed class LoginThrottleEndToEndTests
{
    [Fact]
    public async Task Login_FiveFailures_429WithRetryAfterEvenForTheRightPassword_ThenServedAfterTheWait()
    {
        await using var hub = await StartAsync();

        for (var i = 0; i < 5; i++)
        {
            using var failed = await LoginAsync(hub, "admin", "wrong-password-0", "203.0.113.7");
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var throttled = await LoginAsync(hub, "admin", HubHost.AdminPassword, "203.0.113.7");
        var problem = await throttled.Content.ReadFromJsonAsync<JsonObject>();
        using var otherAddress = await LoginAsync(hub, "admin", HubHost.AdminPassword, "198.51.100.9");
        hub.Time!.Advance(TimeSpan.FromSeconds(1));
        using var afterWait = await LoginAsync(hub, "admin", HubHost.AdminPassword, "203.0.113.7");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("rate_limited", (string)problem!["code"]!);
        Assert.Equal("1", throttled.Headers.RetryAfter!.ToString());
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterWait.StatusCode);
    }

    [Fact]
    public async Task Login_UnknownUsername_ThrottledExactlyLikeAKnownOne()
    {
        await using var hub = await StartAsync();
        var answers = new List<string>();

        foreach (var username in new[] { "admin", "nobody-here" })
        {
            for (var i = 0; i < 5; i++) (await LoginAsync(hub, username, "wrong-password-0", "203.0.113.7")).Dispose();
            using var sixth = await LoginAsync(hub, username, "wrong-password-0", "203.0.113.7");
            answers.Add($"{(int)sixth.StatusCode} {sixth.Headers.RetryAfter}");
        }

        Assert.Equal(["429 1", "429 1"], answers);
    }

    [Fact]
    public async Task Login_ForwardedForFromUnknownProxy_Ignored()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);

        for (var i = 0; i < 5; i++) (await LoginAsync(hub, "admin", "wrong-password-0", $"198.51.100.{i}")).Dispose();
        using var sixth = await LoginAsync(hub, "admin", HubHost.AdminPassword, "198.51.100.99");

        // Without Hub:KnownProxies the header is not believed: all five came from 127.0.0.1, as does the sixth.
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
    }

    private static Task<HubHost> StartAsync() =>
        HubHost.StartAsync(true, null, "--Hub:KnownProxies:0=127.0.0.1");

    private static async Task<HttpResponseMessage> LoginAsync(
        HubHost hub, string username, string password, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/auth/key")
        {
            Content = JsonContent.Create(new { username, password }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await hub.Client().SendAsync(request);
    }
}
