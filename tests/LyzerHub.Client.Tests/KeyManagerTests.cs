using System.Net;
using LyzerHub.Client.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Client.Tests;

/// <summary>The key manager against a real hub over HTTPS; the SDK's clock is fake, so the refresh window is
/// reached by advancing it, not by waiting.</summary>
public sealed class KeyManagerTests
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

    [Fact]
    public async Task GetKey_FiftyCallersInRefreshWindow_ExactlyOneLogin()
    {
        await using var hub = await TestHub.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = hub.Services(o => (o.Username, o.Password) = ("admin", TestHub.AdminPassword), time);
        var keys = (KeyManager)services.GetRequiredService<IKeyProvider>();
        var first = await keys.GetKeyAsync(Timeout);

        var early = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => keys.GetKeyAsync(Timeout).AsTask()));
        Assert.All(early, key => Assert.Equal(first, key));
        Assert.Equal(1, keys.LoginsStarted);

        // The login key lives 3600 s; 59 s before its end it is inside the 60 s margin.
        time.Advance(TimeSpan.FromSeconds(3600 - 59));
        var renewed = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => keys.GetKeyAsync(Timeout).AsTask()));

        Assert.Equal(2, keys.LoginsStarted);
        Assert.Single(renewed.Distinct());
        Assert.NotEqual(first, renewed[0]);
        var whoami = await services.GetRequiredService<LyzerHubClient>().WhoamiAsync(Timeout);
        Assert.Equal("admin", whoami.User.Username);
    }

    [Fact]
    public async Task GetKey_LifetimeShorterThanMargin_RenewsAtHalfLifeWithoutStorm()
    {
        await using var hub = await TestHub.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = hub.Services(o =>
        {
            (o.Username, o.Password) = ("admin", TestHub.AdminPassword);
            o.RefreshMargin = TimeSpan.FromHours(2); // longer than the 3600 s login key
        }, time);
        var keys = (KeyManager)services.GetRequiredService<IKeyProvider>();
        await keys.GetKeyAsync(Timeout);

        time.Advance(TimeSpan.FromSeconds(1000));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => keys.GetKeyAsync(Timeout).AsTask()));
        Assert.Equal(1, keys.LoginsStarted);

        time.Advance(TimeSpan.FromSeconds(801));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => keys.GetKeyAsync(Timeout).AsTask()));

        Assert.Equal(2, keys.LoginsStarted);
    }

    [Fact]
    public async Task GetKey_LoginFails_EveryWaiterGetsTheErrorAndNothingIsCached()
    {
        await using var hub = await TestHub.StartAsync();
        var services = hub.Services(o => (o.Username, o.Password) = ("admin", "not-the-password-at-all"));
        var keys = (KeyManager)services.GetRequiredService<IKeyProvider>();

        var calls = Enumerable.Range(0, 20).Select(_ => keys.GetKeyAsync(Timeout).AsTask()).ToArray();
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<LyzerHubException>(() => call);
            Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
            Assert.Equal("invalid_credentials", error.Code);
            Assert.False(error.IsRetryable);
        }

        Assert.Equal(1, keys.LoginsStarted);
        await Assert.ThrowsAsync<LyzerHubException>(() => keys.GetKeyAsync(Timeout).AsTask());
        Assert.Equal(2, keys.LoginsStarted);
    }

    [Fact]
    public async Task Call_KeyRevokedBehindTheManagersBack_RefreshesOnceAndRetries()
    {
        await using var hub = await TestHub.StartAsync();
        var services = hub.Services(o => (o.Username, o.Password) = ("admin", TestHub.AdminPassword));
        var keys = (KeyManager)services.GetRequiredService<IKeyProvider>();
        var client = services.GetRequiredService<LyzerHubClient>();
        var revoked = await keys.GetKeyAsync(Timeout);
        await hub.Client().RevokeSecretAsync(revoked, Timeout);

        var whoami = await client.WhoamiAsync(Timeout);

        Assert.Equal("admin", whoami.User.Username);
        Assert.Equal(2, keys.LoginsStarted);
        Assert.NotEqual(revoked, await keys.GetKeyAsync(Timeout));
    }

    [Fact]
    public async Task Call_HubKeepsRefusing_OneRenewalOneRetryThenTheError()
    {
        await using var hub = await TestHub.StartAsync();
        var keys = new CountingKeyProvider();
        var services = new ServiceCollection().AddSingleton<IKeyProvider>(keys).AddLyzerHubClient(o =>
        {
            o.HubUrl = hub.BaseAddress;
            o.CaCertificatePath = hub.CertificatePath;
        }).BuildServiceProvider();
        await using var _ = services;

        var error = await Assert.ThrowsAsync<LyzerHubException>(
            () => services.GetRequiredService<LyzerHubClient>().WhoamiAsync(Timeout));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal("invalid_key", error.Code);
        Assert.Equal(1, keys.Renewals);
        Assert.Equal(2, keys.KeysHandedOut);
    }

    [Fact]
    public async Task Login_ThrottledWith429_WaitsRetryAfterThenSucceeds()
    {
        // Two fake clocks: the hub's (for its throttle) and the SDK's, which signals when the SDK starts waiting.
        var hubTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var time = new TimerSignalingTimeProvider(DateTimeOffset.UtcNow);
        await using var hub = await TestHub.StartAsync(hubTime);
        var client = hub.Services(o => o.Key = "", time).GetRequiredService<LyzerHubClient>();
        for (var i = 0; i < 5; i++)
        {
            var wrong = await Assert.ThrowsAsync<LyzerHubException>(
                () => client.LoginAsync("admin", "wrong-password-number-" + i, cancellationToken: Timeout));
            Assert.Equal("invalid_credentials", wrong.Code);
        }

        var login = client.LoginAsync("admin", TestHub.AdminPassword, cancellationToken: Timeout);
        await time.WaitForShortTimerAsync(Timeout);
        Assert.False(login.IsCompleted);
        hubTime.Advance(TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));

        var result = await login;
        Assert.False(string.IsNullOrEmpty(result.Key));
    }

    [Fact]
    public async Task Logs_LoginsAndFailures_NeverContainThePasswordOrTheKey()
    {
        await using var hub = await TestHub.StartAsync();
        var logs = new CapturingLoggerProvider();
        var good = hub.Services(o => (o.Username, o.Password) = ("admin", TestHub.AdminPassword),
            more: s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));
        var bad = hub.Services(o => (o.Username, o.Password) = ("admin", "a-wrong-password-to-log"),
            more: s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));

        var key = await good.GetRequiredService<IKeyProvider>().GetKeyAsync(Timeout);
        await good.GetRequiredService<LyzerHubClient>().WhoamiAsync(Timeout);
        await Assert.ThrowsAsync<LyzerHubException>(() => bad.GetRequiredService<IKeyProvider>().GetKeyAsync(Timeout)
            .AsTask());

        Assert.Contains(logs.Messages, m => m.Contains("Got key", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("invalid_credentials", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains(key, StringComparison.Ordinal)
            || m.Contains(TestHub.AdminPassword, StringComparison.Ordinal)
            || m.Contains("a-wrong-password-to-log", StringComparison.Ordinal));
    }

    private sealed class CountingKeyProvider : IKeyProvider
    {
        private int _handedOut;
        private int _renewals;

        public int KeysHandedOut => _handedOut;

        public int Renewals => _renewals;

        public ValueTask<string> GetKeyAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _handedOut);
            return ValueTask.FromResult("lyz_NotARealKeyAtAll000000000000000000");
        }

        public ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _renewals);
            Interlocked.Increment(ref _handedOut);
            // Always "another" key that the hub refuses too: a naive handler would loop here.
            return ValueTask.FromResult<string?>("lyz_StillNotARealKey00000000000000000000");
        }
    }
}
