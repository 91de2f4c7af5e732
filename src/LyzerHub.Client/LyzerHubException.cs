using System.Net;

namespace LyzerHub.Client;

/// <summary>
/// The one exception the SDK throws for a call that did not succeed: the hub refused it (an RFC 9457 problem) or
/// the hub could not be reached. Programmer errors (a null argument, an insecure URL) throw the usual
/// <see cref="ArgumentException"/> family instead.
/// </summary>
public sealed class LyzerHubException : Exception
{
    /// <summary>Creates the exception; the SDK does this, callers normally only catch it.</summary>
    /// <param name="status">The HTTP status, or null when no answer arrived.</param>
    /// <param name="code">The problem's stable code (e.g. <c>invalid_key</c>), or an SDK code such as
    /// <c>unreachable</c>.</param>
    /// <param name="detail">The problem's human-readable detail.</param>
    /// <param name="isRetryable">Whether sending the same request again later can succeed.</param>
    /// <param name="retryAfter">How long the hub asked to wait, when it said.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public LyzerHubException(
        HttpStatusCode? status,
        string code,
        string detail,
        bool isRetryable,
        TimeSpan? retryAfter = null,
        Exception? innerException = null)
        : base(detail, innerException)
    {
        Status = status;
        Code = code;
        Detail = detail;
        IsRetryable = isRetryable;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status the hub answered with; null when the hub could not be reached.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The problem's stable <c>snake_case</c> code, or <c>unreachable</c> / <c>timeout</c> /
    /// <c>invalid_response</c> when the failure happened before a problem could be read.</summary>
    public string Code { get; }

    /// <summary>The problem's detail, meant for people.</summary>
    public string Detail { get; }

    /// <summary>True when the same request may succeed later (rate limited, overloaded, network failure).</summary>
    public bool IsRetryable { get; }

    /// <summary>The wait the hub asked for with <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when no answer came from the hub at all (connection, TLS or timeout failure).</summary>
    public bool IsUnreachable => Code is "unreachable" or "timeout";
}
