using System.Text.Json;
using LyzerHub.Server.WebConsole;
using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.Tests.Console;

public sealed class MetricChartTests
{
    private static readonly DateTimeOffset s_day = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_LabelWithMarkup_EncodedNotInjected()
    {
        var result = new MetricResult([Series(null, 1, 2)]);

        var svg = MetricChart.Render(result, "count of \"><script>alert(1)</script>");

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TwoSeriesOneGap_OnePathEachAndGapBreaksTheLine()
    {
        var key = JsonDocument.Parse("\"/a\"").RootElement;
        var result = new MetricResult([Series(key, 1, null, 3), Series(null, 4, 5, 6)]);

        var svg = MetricChart.Render(result, "avg");

        Assert.Equal(2, CountOf(svg, "<path "));
        Assert.Equal(5, CountOf(svg, "<circle "));
        // The first series restarts its line after the empty bucket: two moves, no line segment across it.
        var first = svg[svg.IndexOf("<path class=\"s0\"", StringComparison.Ordinal)..];
        first = first[..first.IndexOf("/>", StringComparison.Ordinal)];
        Assert.Equal(2, CountOf(first, "M"));
        Assert.Equal(0, CountOf(first, "L"));
    }

    [Fact]
    public void KeyLabel_KeysOfEachJsonType_ReadAsTheyAre()
    {
        Assert.Equal("/a", MetricChart.KeyLabel(Series(JsonDocument.Parse("\"/a\"").RootElement), true));
        Assert.Equal("404", MetricChart.KeyLabel(Series(JsonDocument.Parse("404").RootElement), true));
        Assert.Equal("(no value)", MetricChart.KeyLabel(Series(null), brokenDown: true));
        Assert.Equal("all events", MetricChart.KeyLabel(Series(null), brokenDown: false));
    }

    private static MetricSeries Series(JsonElement? key, params double?[] values) => new(key, values.Sum(),
        values.Select((v, i) => new MetricPoint(s_day.AddDays(i), v)).ToArray());

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0;
             at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
