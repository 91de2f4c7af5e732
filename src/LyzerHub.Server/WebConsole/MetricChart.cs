using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.WebConsole;

/// <summary>
/// A metric answer as an SVG line chart, drawn on the server so the console needs no chart library. Every text
/// that comes from data (series keys) is HTML-encoded; colours come from the stylesheet's <c>s0</c>…<c>s9</c>
/// classes because the CSP forbids inline styles.
/// </summary>
public static class MetricChart
{
    public const int MaxSeriesColours = 10;

    private const int Width = 760;
    private const int Height = 300;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 16;
    private const int Bottom = 40;

    public static string Render(MetricResult result, string label)
    {
        var series = result.Series;
        var buckets = series.Count == 0 ? 0 : series.Max(s => s.Points.Count);
        var values = series.SelectMany(s => s.Points).Select(p => p.Value).OfType<double>().ToArray();
        var (low, high) = Scale(values);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int index) => Left + (buckets <= 1 ? plotWidth / 2.0 : index * plotWidth / (double)(buckets - 1));
        double Y(double value) => Top + plotHeight - (value - low) / (high - low) * plotHeight;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Encode(label)}\">");
        for (var step = 0; step <= 4; step++)
        {
            var value = low + (high - low) * step / 4;
            var y = Y(value);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text class=\"axis\" x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Number(value)}</text>");
        }

        if (buckets > 0)
        {
            var first = series.First(s => s.Points.Count == buckets).Points;
            foreach (var index in new[] { 0, buckets / 2, buckets - 1 }.Distinct())
            {
                var anchor = index == 0 ? "start" : index == buckets - 1 ? "end" : "middle";
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text class=\"axis\" x=\"{X(index):0.#}\" y=\"{Height - Bottom + 18}\" " +
                    $"text-anchor=\"{(buckets == 1 ? "middle" : anchor)}\">{Encode(Bucket(first[index].T))}</text>");
            }
        }

        for (var s = 0; s < series.Count; s++)
        {
            var colour = $"s{s % MaxSeriesColours}";
            var path = new StringBuilder();
            var drawing = false;
            for (var i = 0; i < series[s].Points.Count; i++)
            {
                // A bucket without a value (avg of nothing) breaks the line rather than pretending it was zero.
                if (series[s].Points[i].Value is not { } value)
                {
                    drawing = false;
                    continue;
                }

                path.Append(CultureInfo.InvariantCulture, $"{(drawing ? 'L' : 'M')}{X(i):0.#},{Y(value):0.#} ");
                drawing = true;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<circle class=\"{colour}\" cx=\"{X(i):0.#}\" cy=\"{Y(value):0.#}\" r=\"3\"/>");
            }

            if (path.Length > 0) svg.Append(CultureInfo.InvariantCulture, $"<path class=\"{colour}\" d=\"{path}\"/>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A series' breakdown key as people read it: its JSON value, or a word for none.</summary>
    public static string KeyLabel(MetricSeries series, bool brokenDown) => series.Key switch
    {
        null => brokenDown ? "(no value)" : "all events",
        { ValueKind: System.Text.Json.JsonValueKind.String } key => key.GetString()!,
        { } key => key.GetRawText(),
    };

    public static string Number(double? value) => value switch
    {
        null => "—",
        { } v when v == Math.Floor(v) && Math.Abs(v) < 1e15 => v.ToString("N0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.###", CultureInfo.InvariantCulture),
    };

    public static string Bucket(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    // From zero (or the lowest negative value) to a round number above the highest.
    private static (double Low, double High) Scale(double[] values)
    {
        var low = Math.Min(0, values.Length == 0 ? 0 : values.Min());
        var high = values.Length == 0 ? 1 : values.Max();
        if (high <= low) high = low + 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(high - low)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude / 4).First(s => s * 4 >= high - low);
        return (Math.Floor(low / step) * step, Math.Floor(low / step) * step + step * 4);
    }

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);
}
