using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Client.Tests.TestSupport;

/// <summary>
/// Fake time that tells the test when code under test starts waiting for a short delay (a retry's back-off or
/// Retry-After), so the test advances the clock exactly then, with no sleeps and no polling.
/// </summary>
public sealed class TimerSignalingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly SemaphoreSlim _shortTimers = new(0);

    /// <summary>Timers due within this are signalled; longer ones (attempt timeouts) are not.</summary>
    public TimeSpan ShortTimer { get; init; } = TimeSpan.FromSeconds(20);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime <= ShortTimer) _shortTimers.Release();
        return timer;
    }

    public Task WaitForShortTimerAsync(CancellationToken cancellationToken) =>
        _shortTimers.WaitAsync(cancellationToken);
}
