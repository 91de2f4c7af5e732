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
    public async Task CreateAndRollKey_WithALoginKey_NewSecretsWorkAndRecordsHideThem()
    {
        await using var hub = await TestHub.StartAsync();
        var login = hub.Client((await hub.LoginAsync()).Key);

        var created = await login.CreateKeyAsync("ci", ["write:events"], TimeSpan.FromDays(1));
        var rolled = await hub.Client(created.Key).RollKeyAsync(created.Id, TimeSpan.FromMinutes(5));
        var listed = await login.ListKeysAsync();

        Assert.Equal("ci", (await hub.Client(rolled.Key).WhoamiAsync()).Key.Name);
        Assert.Equal("ci", (await hub.Client(created.Key).WhoamiAsync()).Key.Name); // still in its grace
        Assert.DoesNotContain(created.Key!, created.ToString(), StringComparison.Ordinal);
        Assert.All(listed.Data, k => Assert.Null(k.Key));
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
