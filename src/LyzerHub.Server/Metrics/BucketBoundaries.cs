namespace LyzerHub.Server.Metrics;

/// <summary>
/// Computes where the buckets of a metric query start (PRODUCT.md §6.2), as instants, so every store assigns
/// events to buckets the same way and daylight-saving rules live in one pure, tested place.
/// </summary>
public static class BucketBoundaries
{
    /// <summary>
    /// Returns the start of every bucket from the one containing <paramref name="from"/> to the one containing the
    /// last instant before <paramref name="to"/>, ascending, each with the zone's offset at that instant; or null
    /// when there would be more than <paramref name="maxBuckets"/> buckets or the range is outside the calendar.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset>? TryCompute(
        DateTimeOffset from, DateTimeOffset to, MetricInterval interval, TimeZoneInfo zone, int maxBuckets)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (interval == MetricInterval.None) return [TimeZoneInfo.ConvertTime(from, zone)];

        var fromUtc = from.UtcDateTime;
        var toUtc = to.UtcDateTime;
        if (fromUtc.Year < 2 || toUtc.Year > 9998) return null;

        // Start one bucket early: when from falls in a repeated hour, its bucket may begin at the first pass of
        // a wall time that truncating the second pass would not reach.
        var wall = Step(Truncate(TimeZoneInfo.ConvertTimeFromUtc(fromUtc, zone), interval), interval, -1);
        var starts = new List<DateTime>();
        while (true)
        {
            var instants = Resolve(wall, interval, zone);
            starts.AddRange(instants);
            if (instants.Count > 0 && instants[0] >= toUtc) break;
            if (starts.Count > maxBuckets + 4) return null;
            wall = Step(wall, interval, 1);
        }

        starts.Sort();
        var first = starts.FindLastIndex(s => s <= fromUtc);
        var result = new List<DateTimeOffset>();
        for (var i = Math.Max(first, 0); i < starts.Count && starts[i] < toUtc; i++)
        {
            if (result.Count > 0 && result[^1].UtcDateTime == starts[i]) continue;
            result.Add(TimeZoneInfo.ConvertTime(new DateTimeOffset(starts[i], TimeSpan.Zero), zone));
        }

        return result.Count > maxBuckets ? null : result;
    }

    internal static DateTime Truncate(DateTime wall, MetricInterval interval) => interval switch
    {
        MetricInterval.Minute => new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, wall.Minute, 0),
        MetricInterval.Hour => new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, 0, 0),
        MetricInterval.Day => wall.Date,
        MetricInterval.Week => wall.Date.AddDays(-(((int)wall.DayOfWeek + 6) % 7)),
        MetricInterval.Month => new DateTime(wall.Year, wall.Month, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(interval)),
    };

    private static DateTime Step(DateTime wall, MetricInterval interval, int count) => interval switch
    {
        MetricInterval.Minute => wall.AddMinutes(count),
        MetricInterval.Hour => wall.AddHours(count),
        MetricInterval.Day => wall.AddDays(count),
        MetricInterval.Week => wall.AddDays(7 * count),
        MetricInterval.Month => wall.AddMonths(count),
        _ => throw new ArgumentOutOfRangeException(nameof(interval)),
    };

    /// <summary>The UTC instants at which a bucket starting at wall time <paramref name="wall"/> begins.</summary>
    private static List<DateTime> Resolve(DateTime wall, MetricInterval interval, TimeZoneInfo zone)
    {
        if (zone.IsInvalidTime(wall))
        {
            // Clocks skipped this wall time: the bucket starts at the first instant that exists after it, if
            // that instant still belongs to the bucket (a skipped midnight does; a skipped whole hour does not).
            var instant = FirstInstantAtOrAfter(wall, zone);
            var reached = TimeZoneInfo.ConvertTimeFromUtc(instant, zone);
            return reached < Step(wall, interval, 1) ? [instant] : [];
        }

        if (zone.IsAmbiguousTime(wall))
        {
            var instants = zone.GetAmbiguousTimeOffsets(wall)
                .Select(offset => DateTime.SpecifyKind(wall - offset, DateTimeKind.Utc))
                .Order()
                .ToList();

            // A repeated minute or hour is two buckets; a day, week or month starts at its first instant.
            return interval is MetricInterval.Minute or MetricInterval.Hour ? instants : [instants[0]];
        }

        return [DateTime.SpecifyKind(wall - zone.GetUtcOffset(wall), DateTimeKind.Utc)];
    }

    private static DateTime FirstInstantAtOrAfter(DateTime wall, TimeZoneInfo zone)
    {
        var before = zone.GetUtcOffset(wall.AddDays(-1));
        var after = zone.GetUtcOffset(wall.AddDays(1));
        var low = DateTime.SpecifyKind(wall - (before > after ? before : after), DateTimeKind.Utc);
        var high = DateTime.SpecifyKind(wall - (before < after ? before : after), DateTimeKind.Utc);

        // Wall time grows with the instant inside a gap, so a binary search to the second finds the transition.
        while (high - low > TimeSpan.FromSeconds(1))
        {
            var middle = low + ((high - low) / 2);
            if (TimeZoneInfo.ConvertTimeFromUtc(middle, zone) >= wall) high = middle;
            else low = middle;
        }

        return high;
    }
}
