using System.Net;
using System.Security.Claims;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Audit;

public sealed class AuditRecorderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 10, 0, 30, TimeSpan.Zero));

    [Fact]
    public void Record_SameKeyActionTargetAndMinute_OneDraftWithTheCount()
    {
        var recorder = Recorder();
        var context = KeyRequest("key_a");

        for (var i = 0; i < 5; i++) recorder.RecordPermissionDenied(context, "read:audit");
        recorder.RecordPermissionDenied(context, "manage:keys");
        recorder.RecordPermissionDenied(KeyRequest("key_b"), "read:audit");
        var drafts = recorder.Drain();

        Assert.Equal(3, drafts.Count);
        var grouped = Assert.Single(drafts, d => d is { ActorKeyId: "key_a", Target: "read:audit" });
        Assert.Equal(5, grouped.Count);
        Assert.Equal("ten_1", grouped.TenantId);
        Assert.Equal(AuditActions.PermissionDenied, grouped.Action);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero), grouped.At); // the minute's start
        Assert.Empty(recorder.Drain());
    }

    [Fact]
    public void Record_NextMinute_SeparateGroupPerMinute()
    {
        var recorder = Recorder();
        var anonymous = AnonymousRequest("203.0.113.7");

        recorder.RecordLoginThrottled(anonymous);
        _time.Advance(TimeSpan.FromSeconds(40));
        recorder.RecordLoginThrottled(anonymous);
        recorder.RecordLoginThrottled(AnonymousRequest("198.51.100.9"));
        var drafts = recorder.Drain();

        Assert.Equal(3, drafts.Count);
        Assert.All(drafts, d => Assert.Null(d.TenantId));
        Assert.Equal(2, drafts.Count(d => d.ClientAddress == "203.0.113.7"));
    }

    [Fact]
    public void Record_PastMaxPendingGroups_NewGroupsCountedAsDroppedExistingOnesStillCount()
    {
        var recorder = Recorder(maxGroups: 2);

        recorder.RecordRateLimitExceeded(KeyRequest("key_a"), "key");
        recorder.RecordRateLimitExceeded(KeyRequest("key_b"), "key");
        recorder.RecordRateLimitExceeded(KeyRequest("key_c"), "key");
        recorder.RecordRateLimitExceeded(KeyRequest("key_a"), "key");

        Assert.Equal(1, recorder.Dropped);
        var drafts = recorder.Drain();
        Assert.Equal(2, drafts.Single(d => d.ActorKeyId == "key_a").Count);
        Assert.DoesNotContain(drafts, d => d.ActorKeyId == "key_c");
        Assert.Equal(0, recorder.Dropped);
    }

    [Fact]
    public async Task RecordAndDrain_Concurrently_DrainedCountsAddUpToEveryOccurrence()
    {
        var recorder = Recorder();
        var drained = new List<AuditDraft>();
        using var stop = new CancellationTokenSource();
        var drainer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) drained.AddRange(recorder.Drain());
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() =>
        {
            var context = KeyRequest($"key_{i % 2}");
            for (var n = 0; n < 20_000; n++) recorder.RecordPermissionDenied(context, "read:audit");
        })));
        await stop.CancelAsync();
        await drainer;
        // One more drain, after the recorders are done: a drain waits out recorders inside its generation, so
        // nothing can be left in an older one.
        drained.AddRange(recorder.Drain());

        Assert.Equal(80_000, drained.Sum(d => d.Count));
        Assert.Equal(40_000, drained.Where(d => d.ActorKeyId == "key_0").Sum(d => d.Count));
    }

    private AuditRecorder Recorder(int maxGroups = 100) =>
        new(_time, Options.Create(new AuditOptions { MaxPendingGroups = maxGroups }));

    private static DefaultHttpContext KeyRequest(string keyId)
    {
        var context = AnonymousRequest("127.0.0.1");
        context.User = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(HubClaims.TenantId, "ten_1"), new Claim(HubClaims.UserId, "usr_1"),
            new Claim(HubClaims.KeyId, keyId),
        ], "test"));
        return context;
    }

    private static DefaultHttpContext AnonymousRequest(string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }
}
