using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LyzerHub.Cli.AccessLogs;

/// <summary>One line of the file: parsed into an event, or not (then only its number is kept).</summary>
internal sealed record AccessLogEntry(int LineNumber, JsonObject? Event);

/// <summary>
/// Reads Apache/nginx access logs in the combined or common format and maps each line to an event exactly as
/// PRODUCT.md §5 says. The event id is derived from the line (its text, then <c>#</c>, then how many identical
/// lines came before it), so importing the same file again, or a longer version of it, adds nothing.
/// </summary>
internal static class AccessLogReader
{
    public static IEnumerable<AccessLogEntry> Read(TextReader reader)
    {
        // Identical lines seen so far, by text: repeated lines are distinct requests and need distinct ids.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in Lines(reader))
        {
            number++;
            var text = raw.Trim();
            var parsed = text.Length == 0 ? null : Parse(text);
            if (parsed is null)
            {
                yield return new AccessLogEntry(number, null);
                continue;
            }

            var k = seen.TryGetValue(text, out var before) ? before : 0;
            seen[text] = k + 1;
            parsed["id"] = EventId(text, k);
            yield return new AccessLogEntry(number, Reorder(parsed));
        }
    }

    /// <summary><c>al_</c> + the first 32 lower-case hex characters of SHA-256 over "text#k" in UTF-8.</summary>
    public static string EventId(string text, int k)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text + "#" + k.ToString(CultureInfo.InvariantCulture)));
        return "al_" + Convert.ToHexStringLower(hash)[..32];
    }

    /// <summary>Parses one trimmed line, or returns null when it is neither format.</summary>
    public static JsonObject? Parse(string line)
    {
        var scanner = new Scanner(line);
        if (scanner.Token() is not { Length: > 0 } host) return null;
        if (!scanner.Space() || scanner.Token() is not { Length: > 0 }) return null; // %l, unused
        if (!scanner.Space() || scanner.Token() is not { Length: > 0 } user) return null;
        if (!scanner.Space() || scanner.Bracketed() is not { } time) return null;
        if (!scanner.Space() || scanner.Quoted() is not { } request) return null;
        if (!scanner.Space() || scanner.Token() is not { } statusText) return null;
        if (!scanner.Space() || scanner.Token() is not { } bytesText) return null;
        if (statusText.Length != 3 || !statusText.All(char.IsAsciiDigit)) return null;
        if (bytesText != "-" && (bytesText.Length == 0 || !bytesText.All(char.IsAsciiDigit))) return null;
        if (!DateTimeOffset.TryParseExact(time, "dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var timestamp))
        {
            return null;
        }

        string? referrer = null, agent = null;
        if (!scanner.AtEnd)
        {
            // Combined format: exactly two more quoted fields, then the end of the line.
            if (!scanner.Space() || scanner.Quoted() is not { } r) return null;
            if (!scanner.Space() || scanner.Quoted() is not { } a || !scanner.AtEnd) return null;
            (referrer, agent) = (r, a);
        }

        if (!long.TryParse(bytesText == "-" ? "0" : bytesText, NumberStyles.None, CultureInfo.InvariantCulture,
                out var bytes))
        {
            return null;
        }

        var properties = new JsonObject { ["ip"] = host };
        var parts = Unescape(request).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3)
        {
            var question = parts[1].IndexOf('?', StringComparison.Ordinal);
            properties["method"] = parts[0];
            properties["path"] = question < 0 ? parts[1] : parts[1][..question];
            if (question >= 0) properties["query"] = parts[1][(question + 1)..];
            properties["protocol"] = parts[2];
        }
        else
        {
            properties["request"] = Unescape(request);
        }

        properties["status"] = int.Parse(statusText, CultureInfo.InvariantCulture);
        properties["bytes"] = bytes;
        if (referrer is not null && referrer != "-") properties["referrer"] = Unescape(referrer);
        if (agent is not null && agent != "-") properties["user_agent"] = Unescape(agent);
        if (user != "-") properties["user"] = user;

        return new JsonObject
        {
            ["name"] = "http_request",
            // The line's own offset is kept: the hub stores the instant, and local time reads stay honest.
            ["timestamp"] = timestamp.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["distinct_id"] = host,
            ["properties"] = properties,
        };
    }

    private static JsonObject Reorder(JsonObject parsed)
    {
        // id first, for people reading a dump of what was sent.
        var id = parsed["id"]!.GetValue<string>();
        parsed.Remove("id");
        var ordered = new JsonObject { ["id"] = id };
        foreach (var name in parsed.Select(p => p.Key).ToArray())
        {
            var value = parsed[name];
            parsed.Remove(name);
            ordered[name] = value;
        }

        return ordered;
    }

    private static string Unescape(string value) => value.Replace("\\\"", "\"", StringComparison.Ordinal);

    /// <summary>Lines split on LF only: a stray CR inside a line is part of its text, a trailing one is trimmed.
    /// </summary>
    private static IEnumerable<string> Lines(TextReader reader)
    {
        var line = new StringBuilder();
        var buffer = new char[8192];
        int read;
        var pending = false;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == '\n')
                {
                    yield return line.ToString();
                    line.Clear();
                    pending = false;
                }
                else
                {
                    line.Append(buffer[i]);
                    pending = true;
                }
            }
        }

        if (pending) yield return line.ToString();
    }

    private ref struct Scanner(string text)
    {
        private readonly string _text = text;
        private int _at;

        public readonly bool AtEnd => _at >= _text.Length;

        public bool Space()
        {
            if (AtEnd || _text[_at] != ' ') return false;
            _at++;
            return true;
        }

        public string? Token()
        {
            var start = _at;
            while (!AtEnd && _text[_at] != ' ') _at++;
            return _text[start.._at];
        }

        public string? Bracketed()
        {
            if (AtEnd || _text[_at] != '[') return null;
            var end = _text.IndexOf(']', _at + 1);
            if (end < 0) return null;
            var value = _text[(_at + 1)..end];
            _at = end + 1;
            return value;
        }

        /// <summary>A double-quoted field where <c>\x</c> escapes any character; returned still escaped.</summary>
        public string? Quoted()
        {
            if (AtEnd || _text[_at] != '"') return null;
            var i = _at + 1;
            while (i < _text.Length && _text[i] != '"')
            {
                i += _text[i] == '\\' ? 2 : 1;
            }

            if (i >= _text.Length) return null;
            var value = _text[(_at + 1)..i];
            _at = i + 1;
            return value;
        }
    }
}
