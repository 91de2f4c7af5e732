using LyzerHub.Server.Hosting;

namespace LyzerHub.Server.Tests.Events;

public sealed class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-12-03T19:00:00Z", "2026-12-03T19:00:00.0000000+00:00")]
    [InlineData("2026-12-03t19:00:00z", "2026-12-03T19:00:00.0000000+00:00")]
    [InlineData("2026-12-03T19:00:00+05:30", "2026-12-03T19:00:00.0000000+05:30")]
    [InlineData("2026-12-03T19:00:00-00:00", "2026-12-03T19:00:00.0000000+00:00")]
    [InlineData("2026-12-03T19:00:00.1Z", "2026-12-03T19:00:00.1000000+00:00")]
    [InlineData("2026-12-03T19:00:00.123456789Z", "2026-12-03T19:00:00.1234567+00:00")]
    [InlineData("2024-02-29T00:00:00+14:00", "2024-02-29T00:00:00.0000000+14:00")]
    public void TryParse_ValidDateTime_KeepsTheOffset(string text, string expected)
    {
        var parsed = Rfc3339.TryParse(text, out var value);

        Assert.True(parsed);
        Assert.Equal(expected, value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-12-03T19:00:00")]
    [InlineData("2026-12-03")]
    [InlineData("2026-12-03 19:00:00Z")]
    [InlineData("2026-12-03T19:00Z")]
    [InlineData("2026-12-03T19:00:00+0530")]
    [InlineData("2026-12-03T19:00:00Z\n")]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-12-03T24:00:00Z")]
    [InlineData("2016-12-31T23:59:60Z")]
    [InlineData("2026-12-03T19:00:00+15:00")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("２０２６-12-03T19:00:00Z")]
    [InlineData("")]
    public void TryParse_NotRfc3339WithOffset_False(string text)
    {
        var parsed = Rfc3339.TryParse(text, out _);

        Assert.False(parsed);
    }
}
