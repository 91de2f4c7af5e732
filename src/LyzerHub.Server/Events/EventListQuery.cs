using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace LyzerHub.Server.Events;

/// <summary>
/// Which events <c>GET /v1/events</c> reads: optionally one name and the half-open range [<see cref="From"/>,
/// <see cref="To"/>), newest first, strictly after <see cref="After"/> in that order, at most <see cref="Limit"/>
/// of them (null: all, for the NDJSON export).
/// </summary>
public sealed record EventListQuery(
    string? Name, DateTimeOffset? From, DateTimeOffset? To, EventPosition? After, int? Limit);

/// <summary>
/// A place in the newest-first order: (timestamp, id). The store keeps timestamps to the microsecond, so a position
/// taken from a stored event is exact; positions travel to clients as opaque cursors.
/// </summary>
public readonly record struct EventPosition(long TimestampUnixMicroseconds, string Id)
{
    public static EventPosition Of(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(ToUnixMicroseconds(e.Timestamp), e.Id);
    }

    public static long ToUnixMicroseconds(DateTimeOffset value) =>
        (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public string ToCursor() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{TimestampUnixMicroseconds}:{Id}")));

    /// <summary>False for anything a list did not give out, so a mangled cursor is a 400, never a wrong page.</summary>
    public static bool TryParseCursor(string? text, out EventPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(text)) return false;

        string plain;
        try
        {
            plain = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }

        // Timestamps before 1970 are valid event times, hence the sign.
        var colon = plain.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == plain.Length - 1
            || !long.TryParse(plain.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
                out var micros)) return false;
        position = new EventPosition(micros, plain[(colon + 1)..]);
        return true;
    }
}
