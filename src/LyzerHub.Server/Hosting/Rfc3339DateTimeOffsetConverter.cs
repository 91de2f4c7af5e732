using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Writes times as RFC 3339: UTC as <c>Z</c>, other offsets as <c>±hh:mm</c>, fractions only when present.
/// Reads only RFC 3339 with an offset (<see cref="Rfc3339"/>); a time without one is refused rather than guessed.
/// </summary>
public sealed class Rfc3339DateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (text is null || !Rfc3339.TryParse(text, out var value))
            throw new JsonException("Expected an RFC 3339 time with an offset.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    public static string Format(DateTimeOffset value) => value.Offset == TimeSpan.Zero
        ? value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
        : value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
}
