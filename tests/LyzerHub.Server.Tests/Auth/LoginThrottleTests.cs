using System.Net;
using LyzerHub.Server.Auth;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Auth;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress s_home = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress s_elsewhere = IPAddress.Parse("198.51.100.9");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void WaitBeforeAttempt_FiveFailures_WaitsOneSecondThenDoubles()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < 4; i++) throttle.RecordFailure("ALICE", s_home);
        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("ALICE", s_home));

        throttle.RecordFailure("ALICE", s_home);
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.WaitBeforeAttempt("ALICE", s_home));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("ALICE", s_home));
        throttle.RecordFailure("ALICE", s_home);
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.WaitBeforeAttempt("ALICE", s_home));
    }

    [Fact]
    public void WaitAfter_ManyFailures_CappedAtFifteenMinutes()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), LoginThrottle.WaitAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(512), LoginThrottle.WaitAfter(10));
        Assert.Equal(TimeSpan.FromMinutes(15), LoginThrottle.WaitAfter(11));
        Assert.Equal(TimeSpan.FromMinutes(15), LoginThrottle.WaitAfter(1000));
    }

    [Fact]
    public void RecordSuccess_AfterStreak_ResetsTheStreak()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < 5; i++) throttle.RecordFailure("ALICE", s_home);
        _time.Advance(TimeSpan.FromSeconds(1));

        throttle.RecordSuccess("ALICE", s_home);
        throttle.RecordFailure("ALICE", s_home);

        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("ALICE", s_home));
    }

    [Fact]
    public void WaitBeforeAttempt_StreakFromOneAddress_DoesNotLockTheUserOutElsewhere()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < 20; i++) throttle.RecordFailure("ALICE", s_elsewhere);

        Assert.True(throttle.WaitBeforeAttempt("ALICE", s_elsewhere) > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("ALICE", s_home));
    }

    [Fact]
    public void WaitBeforeAttempt_FiftyFailuresAcrossUsernamesFromOneAddress_ThrottlesThatAddress()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < 49; i++) throttle.RecordFailure($"USER{i}", s_home);
        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("SOMEONE", s_home));

        throttle.RecordFailure("USER49", s_home);

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.WaitBeforeAttempt("SOMEONE", s_home));
        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("SOMEONE", s_elsewhere));
    }

    [Fact]
    public void WaitBeforeAttempt_AddressFailuresOlderThanWindow_Forgotten()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < 49; i++) throttle.RecordFailure($"USER{i}", s_home);

        _time.Advance(LoginThrottle.AddressWindow + TimeSpan.FromSeconds(1));
        throttle.RecordFailure("USER49", s_home);

        Assert.Equal(TimeSpan.Zero, throttle.WaitBeforeAttempt("SOMEONE", s_home));
    }
}
