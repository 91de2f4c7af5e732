using LyzerHub.Client.Tests.TestSupport;

namespace LyzerHub.Client.Tests;

public sealed class TenantPolicyTests
{
    [Fact]
    public async Task GetTenant_FreshHub_ShowsTheRateLimitsInForce()
    {
        await using var hub = await TestHub.StartAsync();
        var login = await hub.LoginAsync();

        var tenant = await hub.Client(login.Key).GetTenantAsync();

        Assert.Equal(new KeyRateLimit(6000, 60), tenant.Policy.DefaultKeyRateLimit);
        Assert.Equal(new KeyRateLimit(30000, 60), tenant.Policy.TenantRateLimit);
    }
}
