namespace LyzerHub.Server.RateLimits;

/// <summary>
/// One request refused with 429 by a rate limit. <see cref="Policy"/> is the policy that refused it
/// (<c>key</c>, <c>tenant</c>, <c>address</c>, <c>failed_authentication</c>); tenant and key are null for requests
/// without a valid key.
/// </summary>
public sealed record RateLimitRejection(
    string? TenantId, string? KeyId, string ClientAddress, string Policy, DateTimeOffset At);

/// <summary>
/// Told of every rate-limit rejection, on the request path: the audit trail records <c>rate_limit.exceeded</c>
/// through this, aggregating per key or address and minute. Implementations must not block or throw.
/// </summary>
public interface IRateLimitRejectionSink
{
    /// <summary>Called once per 429; <paramref name="context"/> is the refused request.</summary>
    void OnRejected(HttpContext context, RateLimitRejection rejection);
}

/// <summary>The default until something (the audit trail) registers its own.</summary>
public sealed class NoRateLimitRejectionSink : IRateLimitRejectionSink
{
    public void OnRejected(HttpContext context, RateLimitRejection rejection)
    {
    }
}
