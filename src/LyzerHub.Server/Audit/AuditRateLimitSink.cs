using LyzerHub.Server.RateLimits;

namespace LyzerHub.Server.Audit;

/// <summary>
/// Turns the limiter's 429s into <c>rate_limit.exceeded</c> entries: counted per key (or client address, for
/// requests without a valid key) and minute by the <see cref="AuditRecorder"/>, never a store write per request.
/// </summary>
public sealed class AuditRateLimitSink(AuditRecorder recorder) : IRateLimitRejectionSink
{
    public void OnRejected(HttpContext context, RateLimitRejection rejection) =>
        recorder.RecordRateLimitExceeded(context, rejection.Policy);
}
