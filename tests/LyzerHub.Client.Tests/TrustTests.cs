using LyzerHub.Client.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Client.Tests;

/// <summary>The SDK verifies the hub's certificate: it trusts the hub's self-signed one only when told to.</summary>
public sealed class TrustTests
{
    [Fact]
    public async Task Call_HubCertificateNotTrusted_FailsAsUnreachable()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync()).Key;
        var client = hub.Services(o =>
        {
            o.CaCertificatePath = null;
            o.Key = key;
            o.MaxRetryAttempts = 1;
        }).GetRequiredService<LyzerHubClient>();

        var error = await Assert.ThrowsAsync<LyzerHubException>(() => client.WhoamiAsync());

        Assert.True(error.IsUnreachable);
        Assert.Contains("SSL", error.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Call_HubCertificateTrusted_Succeeds()
    {
        await using var hub = await TestHub.StartAsync();
        var key = (await hub.LoginAsync()).Key;

        var whoami = await hub.Client(key).WhoamiAsync();

        Assert.Equal("admin", whoami.User.Username);
    }
}
