namespace LyzerHub.Server.Problems;

/// <summary>The stable <c>code</c> values of PRODUCT.md §4.7.</summary>
public static class ProblemCodes
{
    public const string MissingKey = "missing_key";
    public const string InvalidKey = "invalid_key";
    public const string InvalidCredentials = "invalid_credentials";
    public const string MissingPermission = "missing_permission";
    public const string NotFound = "not_found";
    public const string KeyInQuery = "key_in_query";
    public const string RateLimited = "rate_limited";
    public const string PayloadTooLarge = "payload_too_large";
    public const string Overloaded = "overloaded";
    public const string QueryTimeout = "query_timeout";
    public const string InvalidRequest = "invalid_request";
    public const string Conflict = "conflict";
    public const string InsufficientRole = "insufficient_role";
    public const string LoginKeyRequired = "login_key_required";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string InternalError = "internal_error";
}
