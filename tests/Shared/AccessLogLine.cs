using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LyzerHub.Tests.Shared;

/// <summary>
/// The test's own reading of an Apache/nginx combined or common log line, as PRODUCT.md §5 maps it to an
/// event. Written independently of any product code so that expected metrics come from the file itself.
/// </summary>
public sealed partial record AccessLogLine(
    int LineNumber,
    string Id,
    string Host,
    DateTimeOffset Timestamp,
    string Request,
    int Status,
    long Bytes,
    string? Referrer,
    string? UserAgent,
    string? User)
{
    public static (List<AccessLogLine> Parsed, List<int> Unparsed) ParseFile(string path)
    {
        var parsed = new List<AccessLogLine>();
        var unparsed = new List<int>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var text = raw.Trim();
            var match = Combined().Match(text);
            if (!match.Success)
            {
                unparsed.Add(number);
                continue;
            }

            // k counts identical lines before this one in the file, so repeated lines get distinct ids.
            var k = seen.TryGetValue(text, out var before) ? before : 0;
            seen[text] = k + 1;
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{text}#{k}"));
            parsed.Add(new AccessLogLine(
                number,
                "al_" + Convert.ToHexStringLower(hash)[..32],
                match.Groups["host"].Value,
                DateTimeOffset.ParseExact(match.Groups["time"].Value, "dd/MMM/yyyy:HH:mm:ss zzz",
                    CultureInfo.InvariantCulture),
                Unescape(match.Groups["request"].Value),
                int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
                match.Groups["bytes"].Value == "-"
                    ? 0
                    : long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture),
                Optional(match.Groups["referrer"]),
                Optional(match.Groups["agent"]),
                match.Groups["user"].Value == "-" ? null : match.Groups["user"].Value));
        }

        return (parsed, unparsed);
    }

    public string? Path => RequestParts() is { } parts ? parts.Target.Split('?', 2)[0] : null;

    public JsonObject ToEvent()
    {
        var properties = new JsonObject { ["ip"] = Host, ["status"] = Status, ["bytes"] = Bytes };
        if (RequestParts() is { } parts)
        {
            var target = parts.Target.Split('?', 2);
            properties["method"] = parts.Method;
            properties["path"] = target[0];
            if (target.Length == 2) properties["query"] = target[1];
            properties["protocol"] = parts.Protocol;
        }
        else
        {
            properties["request"] = Request;
        }

        if (Referrer is not null) properties["referrer"] = Referrer;
        if (UserAgent is not null) properties["user_agent"] = UserAgent;
        if (User is not null) properties["user"] = User;
        return new JsonObject
        {
            ["id"] = Id,
            ["name"] = "http_request",
            ["timestamp"] = Timestamp.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["distinct_id"] = Host,
            ["properties"] = properties,
        };
    }

    private (string Method, string Target, string Protocol)? RequestParts()
    {
        var parts = Request.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 3 ? (parts[0], parts[1], parts[2]) : null;
    }

    private static string? Optional(Group group) =>
        !group.Success || group.Value == "-" ? null : Unescape(group.Value);

    private static string Unescape(string value) => value.Replace("\\\"", "\"", StringComparison.Ordinal);

    // host ident user [time] "request" status bytes, then optionally "referrer" "user agent" (combined format).
    [GeneratedRegex("""
        ^(?<host>\S+)\ \S+\ (?<user>\S+)\ \[(?<time>[^\]]+)\]\ "(?<request>(?:[^"\\]|\\.)*)"
        \ (?<status>\d{3})\ (?<bytes>\d+|-)
        (?:\ "(?<referrer>(?:[^"\\]|\\.)*)"\ "(?<agent>(?:[^"\\]|\\.)*)")?$
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Combined();
}
