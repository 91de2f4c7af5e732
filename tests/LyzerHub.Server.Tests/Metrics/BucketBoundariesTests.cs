using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.Tests.Metrics;

public sealed class BucketBoundariesTests
{
    private static readonly TimeZoneInfo s_newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Fact]
    public void TryCompute_None_IsOnePointAtFromInZone()
    {
        var from = new DateTimeOffset(2024, 1, 1, 10, 30, 0, TimeSpan.Zero);

        var starts = BucketBoundaries.TryCompute(from, from.AddDays(1), MetricInterval.None, s_newYork, 10);

        Assert.Equal([new DateTimeOffset(2024, 1, 1, 5, 30, 0, TimeSpan.FromHours(-5))], starts!);
    }

    [Fact]
    public void TryCompute_FromInsideBucket_StartsAtThatBucket()
    {
        var from = new DateTimeOffset(2024, 1, 1, 10, 30, 0, TimeSpan.Zero);

        var starts = BucketBoundaries.TryCompute(from, from.AddHours(2), MetricInterval.Hour, TimeZoneInfo.Utc, 10);

        Assert.Equal([from.AddMinutes(-30), from.AddMinutes(30), from.AddMinutes(90)], starts!);
    }

    [Fact]
    public void TryCompute_ToOnBoundary_ExcludesBucketStartingAtTo()
    {
        var from = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var starts = BucketBoundaries.TryCompute(from, from.AddDays(2), MetricInterval.Day, TimeZoneInfo.Utc, 10);

        Assert.Equal([from, from.AddDays(1)], starts!);
    }

    [Fact]
    public void TryCompute_SpringForwardDays_Last23Hours()
    {
        var from = new DateTimeOffset(2024, 3, 9, 0, 0, 0, TimeSpan.FromHours(-5));
        var to = new DateTimeOffset(2024, 3, 12, 0, 0, 0, TimeSpan.FromHours(-4));

        var starts = BucketBoundaries.TryCompute(from, to, MetricInterval.Day, s_newYork, 10)!;

        Assert.Equal(["2024-03-09T00:00-05:00", "2024-03-10T00:00-05:00", "2024-03-11T00:00-04:00"], Texts(starts));
        Assert.Equal(TimeSpan.FromHours(23), starts[2] - starts[1]);
    }

    [Fact]
    public void TryCompute_FallBackDay_Lasts25HoursWithRepeatedHourTwice()
    {
        var from = new DateTimeOffset(2024, 11, 3, 0, 0, 0, TimeSpan.FromHours(-4));

        var days = BucketBoundaries.TryCompute(from, from.AddHours(26), MetricInterval.Day, s_newYork, 10)!;
        var hours = BucketBoundaries.TryCompute(from, from.AddHours(4), MetricInterval.Hour, s_newYork, 10)!;

        Assert.Equal(TimeSpan.FromHours(25), days[1] - days[0]);
        Assert.Equal(
            ["2024-11-03T00:00-04:00", "2024-11-03T01:00-04:00", "2024-11-03T01:00-05:00", "2024-11-03T02:00-05:00"],
            Texts(hours));
    }

    [Fact]
    public void TryCompute_FromInSecondPassOfRepeatedHour_StartsAtSecondPass()
    {
        var from = new DateTimeOffset(2024, 11, 3, 1, 30, 0, TimeSpan.FromHours(-5));

        var hours = BucketBoundaries.TryCompute(from, from.AddHours(1), MetricInterval.Hour, s_newYork, 10)!;

        Assert.Equal(["2024-11-03T01:00-05:00", "2024-11-03T02:00-05:00"], Texts(hours));
    }

    [Fact]
    public void TryCompute_SkippedHour_HasNoBucket()
    {
        var from = new DateTimeOffset(2024, 3, 10, 1, 0, 0, TimeSpan.FromHours(-5));

        var hours = BucketBoundaries.TryCompute(from, from.AddHours(2), MetricInterval.Hour, s_newYork, 10)!;

        Assert.Equal(["2024-03-10T01:00-05:00", "2024-03-10T03:00-04:00"], Texts(hours));
    }

    [Fact]
    public void TryCompute_DayWhoseMidnightIsSkipped_StartsAtFirstExistingInstant()
    {
        // Chile moved its clocks from 00:00 to 01:00 on 2023-09-03.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var from = new DateTimeOffset(2023, 9, 2, 0, 0, 0, TimeSpan.FromHours(-4));

        var days = BucketBoundaries.TryCompute(from, from.AddDays(2), MetricInterval.Day, zone, 10)!;

        Assert.Equal(["2023-09-02T00:00-04:00", "2023-09-03T01:00-03:00", "2023-09-04T00:00-03:00"], Texts(days));
    }

    [Fact]
    public void TryCompute_HalfHourOffset_KeepsOffsetAndLocalMidnight()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var from = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var days = BucketBoundaries.TryCompute(from, from.AddDays(1), MetricInterval.Day, zone, 10)!;

        Assert.Equal(["2024-01-01T00:00+05:30", "2024-01-02T00:00+05:30"], Texts(days));
    }

    [Fact]
    public void TryCompute_WeekAndMonth_StartOnMondayAndTheFirst()
    {
        var from = new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.Zero);

        var weeks = BucketBoundaries.TryCompute(from, from.AddDays(8), MetricInterval.Week, TimeZoneInfo.Utc, 10)!;
        var months = BucketBoundaries.TryCompute(from, from.AddDays(40), MetricInterval.Month, s_newYork, 10)!;

        Assert.Equal(["2024-02-26T00:00+00:00", "2024-03-04T00:00+00:00"], Texts(weeks));
        Assert.Equal(["2024-02-01T00:00-05:00", "2024-03-01T00:00-05:00", "2024-04-01T00:00-04:00"], Texts(months));
    }

    [Fact]
    public void TryCompute_MoreBucketsThanMax_ReturnsNull()
    {
        var from = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var starts = BucketBoundaries.TryCompute(from, from.AddYears(50), MetricInterval.Minute, s_newYork, 10_000);

        Assert.Null(starts);
    }

    [Fact]
    public void TryCompute_ExactlyMax_IsAccepted()
    {
        var from = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var starts = BucketBoundaries.TryCompute(from, from.AddMinutes(10_000), MetricInterval.Minute,
            TimeZoneInfo.Utc, 10_000);

        Assert.Equal(10_000, starts!.Count);
    }

    private static string[] Texts(IEnumerable<DateTimeOffset> starts) =>
        starts.Select(s => s.ToString("yyyy-MM-dd'T'HH:mmzzz", System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
}
