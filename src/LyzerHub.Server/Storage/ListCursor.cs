using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace LyzerHub.Server.Storage;

/// <summary>
/// A keyset cursor for newest-first lists: the (created-at, id) of the last item served. Opaque to clients
/// (base64url), so its shape can change; a cursor that does not decode is a 400, never a wrong page.
/// </summary>
public readonly record struct ListCursor(long CreatedAtUnixMs, string Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{CreatedAtUnixMs}:{Id}")));

    public static bool TryDecode(string? text, out ListCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text)) return false;

        try
        {
            var plain = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
            var colon = plain.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !long.TryParse(plain.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture,
                    out var ms)) return false;
            cursor = new ListCursor(ms, plain[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
