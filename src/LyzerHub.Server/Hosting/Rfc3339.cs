using System.Globalization;
using System.Text.RegularExpressions;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Parses RFC 3339 date-times strictly. <see cref="DateTimeOffset.TryParse(string, out DateTimeOffset)"/> is too
/// lenient for the contract: it accepts times without an offset (guessing the server's zone) and other formats.
/// The one parser for every time the API reads: event timestamps, metric ranges, JSON fields.
/// </summary>
public static partial class Rfc3339
{
    private const int MaxFractionDigits = 7;

    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        var match = Pattern().Match(text);
        if (!match.Success) return false;

        var year = Number(match, "year");
        var month = Number(match, "month");
        var day = Number(match, "day");
        var hour = Number(match, "hour");
        var minute = Number(match, "minute");

        // A leap second (:60) has no DateTimeOffset representation; refusing it beats silently shifting the event.
        var second = Number(match, "second");
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var offset = TimeSpan.Zero;
        if (match.Groups["sign"].Success)
        {
            var offsetHours = Number(match, "offsetHour");
            var offsetMinutes = Number(match, "offsetMinute");
            if (offsetHours > 14 || offsetMinutes > 59) return false;
            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (match.Groups["sign"].Value == "-") offset = -offset;
            if (offset.Duration() > TimeSpan.FromHours(14)) return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified)
            .AddTicks(FractionTicks(match.Groups["fraction"].Value));
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;

        value = new DateTimeOffset(local, offset);
        return true;
    }

    private static int Number(Match match, string group) =>
        int.Parse(match.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);

    // Ticks are 100 ns, so digits past the seventh are below what a DateTimeOffset holds and are truncated.
    private static long FractionTicks(string fraction)
    {
        if (fraction.Length == 0) return 0;
        var digits = fraction.Length > MaxFractionDigits ? fraction[..MaxFractionDigits] : fraction;
        return long.Parse(digits.PadRight(MaxFractionDigits, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    // [0-9] rather than \d, which also matches digits of other scripts; \z because $ allows a trailing newline.
    [GeneratedRegex(
        @"^(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})[Tt](?<hour>[0-9]{2}):(?<minute>[0-9]{2})" +
        @":(?<second>[0-9]{2})(?:\.(?<fraction>[0-9]+))?(?:[Zz]|(?<sign>[+-])(?<offsetHour>[0-9]{2}):" +
        @"(?<offsetMinute>[0-9]{2}))\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();
}
