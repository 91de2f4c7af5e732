namespace LyzerHub.Server.Problems;

/// <summary>Titles and explanations served at <c>/problems/{code}</c>, so a problem's <c>type</c> resolves.</summary>
public static class ProblemCatalog
{
    private static readonly Dictionary<string, (string Title, string Explanation)> s_entries = new()
    {
        [ProblemCodes.MissingKey] = ("Missing key",
            "The request carries no Authorization header. Send 'Authorization: Bearer lyz_...'."),
        [ProblemCodes.InvalidKey] = ("Invalid key",
            "The key is unknown, malformed, expired, revoked or belongs to an offboarded user. Get a new one."),
        [ProblemCodes.InvalidCredentials] = ("Invalid credentials", "The username or the password is wrong."),
        [ProblemCodes.MissingPermission] = ("Missing permission",
            "The key is valid but lacks the permission this endpoint needs; the problem names it."),
        [ProblemCodes.NotFound] = ("Not found", "Nothing with that id exists in your tenant."),
        [ProblemCodes.KeyInQuery] = ("Key in query string",
            "Keys travel only in the Authorization header, never in a URL. Revoke a key that was put in one."),
        [ProblemCodes.RateLimited] = ("Rate limited", "Too many requests; retry after the Retry-After seconds."),
        [ProblemCodes.PayloadTooLarge] = ("Payload too large",
            "The body exceeds a request limit (5,000 events or 10 MiB after decompression). Nothing was stored."),
        [ProblemCodes.Overloaded] = ("Overloaded", "The hub is busy; retry after the Retry-After seconds."),
        [ProblemCodes.QueryTimeout] = ("Query timeout", "The query ran past its time limit; narrow it."),
        [ProblemCodes.InvalidRequest] = ("Invalid request", "A field or value is invalid; 'errors' lists each one."),
        [ProblemCodes.Conflict] = ("Conflict",
            "The request conflicts with the current state (a username or slug is taken, or the last owner)."),
        [ProblemCodes.InsufficientRole] = ("Insufficient role",
            "Managing a user needs a role at least as high as both the user's current and new role."),
        [ProblemCodes.LoginKeyRequired] = ("Login key required",
            "This needs a key minted by POST /v1/auth/key, which proves the password; log in and retry."),
        [ProblemCodes.UnsupportedMediaType] = ("Unsupported media type",
            "Send application/json, or application/x-ndjson where the endpoint accepts it."),
        [ProblemCodes.MethodNotAllowed] = ("Method not allowed",
            "The endpoint exists but not with this HTTP method; the Allow header lists the methods it takes."),
        [ProblemCodes.InternalError] = ("Internal error", "The hub failed; the request id helps its operator."),
    };

    public static IEnumerable<string> Codes => s_entries.Keys;

    public static string TitleOf(string code) => s_entries.TryGetValue(code, out var entry) ? entry.Title : code;

    public static string? ExplanationOf(string code) =>
        s_entries.TryGetValue(code, out var entry) ? entry.Explanation : null;
}
