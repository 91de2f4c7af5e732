using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Writes times as RFC 3339: UTC as <c>Z</c>, other offsets as <c>±hh:mm</c>, fractions only when present.
/// Reads any RFC 3339 time that carries an offset; a time without one is refused rather than guessed.
/// </summary>
public sealed class Rfc3339DateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (text is null || !TryParse(text, out var value))
            throw new JsonException("Expected an RFC 3339 time with an offset.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    public static string Format(DateTimeOffset value) => value.Offset == TimeSpan.Zero
        ? value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
        : value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>Parses RFC 3339 (a 'T' or ' ' separator, 'Z' or a numeric offset required).</summary>
    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20) return false;
        var last = text[^1];
        var hasOffset = last is 'Z' or 'z' || (text.Length >= 6 && text[^3] == ':' && text[^6] is '+' or '-');
        if (!hasOffset || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't' or ' ')) return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }
}
