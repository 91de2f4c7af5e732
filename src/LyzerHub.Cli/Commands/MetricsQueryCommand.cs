using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using LyzerHub.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class MetricsQuerySettings : HubSettings
{
    [CommandOption("-e|--event <NAME>")]
    [Description("The event name, e.g. http_request")]
    public string? Event { get; init; }

    [CommandOption("-m|--measure <MEASURE>")]
    [Description("count (default), unique, sum, avg, min, max, p50, p90, p95, p99")]
    public string Measure { get; init; } = "count";

    [CommandOption("-p|--property <PROPERTY>")]
    [Description("The property the measure reads (not for count)")]
    public string? Property { get; init; }

    [CommandOption("--from <TIME>")]
    [Description("Start, inclusive: RFC 3339, or a date (UTC midnight)")]
    public string? From { get; init; }

    [CommandOption("--to <TIME>")]
    [Description("End, exclusive: RFC 3339, or a date (UTC midnight)")]
    public string? To { get; init; }

    [CommandOption("-i|--interval <INTERVAL>")]
    [Description("none, minute, hour, day (default), week, month")]
    public string Interval { get; init; } = "day";

    [CommandOption("--timezone <ZONE>")]
    [Description("IANA time zone of the buckets (default UTC)")]
    public string? Timezone { get; init; }

    [CommandOption("-b|--breakdown <PROPERTY>")]
    [Description("One series per value of this property")]
    public string? Breakdown { get; init; }

    [CommandOption("--limit <N>")]
    [Description("Breakdown series at most (default 10)")]
    public int? Limit { get; init; }

    [CommandOption("-f|--filter <PROPERTY:OP:VALUE>")]
    [Description("e.g. status:gte:400 (repeatable; VALUE is read as JSON when it parses, else as text)")]
    public string[]? Filters { get; init; }

    [CommandOption("--chart")]
    [Description("Also draw a bar chart")]
    public bool Chart { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Event)) return ValidationResult.Error("--event is required");
        if (From is null || To is null) return ValidationResult.Error("--from and --to are required");
        return ValidationResult.Success();
    }
}

internal sealed class MetricsQueryCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<MetricsQuerySettings>(environment, config)
{
    protected override async Task<int> RunAsync(MetricsQuerySettings settings, CancellationToken cancellationToken)
    {
        var query = new MetricQuery
        {
            Event = settings.Event!,
            Measure = settings.Measure,
            Property = settings.Property,
            From = Time("--from", settings.From!),
            To = Time("--to", settings.To!),
            Interval = settings.Interval,
            Timezone = settings.Timezone,
            Breakdown = settings.Breakdown,
            Limit = settings.Limit,
            Filters = settings.Filters?.Select(Filter).ToArray(),
        };
        using var client = Connect();
        var result = await client.QueryMetricAsync(query, cancellationToken);
        if (settings.Json)
        {
            WriteJson(result);
            return LyzerCli.Done;
        }

        Environment.Console.Write(Table(result));
        if (settings.Chart) Environment.Console.Write(Chart(result));
        return LyzerCli.Done;
    }

    private static Table Table(MetricResult result)
    {
        var table = new Table().AddColumn("t");
        foreach (var series in result.Series)
            table.AddColumn(new TableColumn(Markup.Escape(KeyText(series))).RightAligned());
        var times = result.Series.SelectMany(s => s.Points.Select(p => p.T)).Distinct().Order().ToArray();
        foreach (var t in times)
        {
            var row = new List<string> { t.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture) };
            row.AddRange(result.Series.Select(s => Number(s.Points.FirstOrDefault(p => p.T == t)?.Value)));
            table.AddRow(row.ToArray());
        }

        table.AddRow(["[bold]total[/]", .. result.Series.Select(s => "[bold]" + Number(s.Total) + "[/]")]);
        var over = result.Interval == "none" ? "over the range" : "by " + result.Interval;
        var title = $"{result.Measure} of {result.Event} {over} ({result.Timezone})";
        return table.Title(Markup.Escape(title));
    }

    private static BarChart Chart(MetricResult result)
    {
        var chart = new BarChart().Width(100);
        if (result.Series.Count == 1)
        {
            foreach (var point in result.Series[0].Points)
            {
                chart.AddItem(point.T.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), point.Value ?? 0,
                    Color.Blue);
            }
        }
        else
        {
            foreach (var series in result.Series)
                chart.AddItem(Markup.Escape(KeyText(series)), series.Total ?? 0, Color.Blue);
        }

        return chart;
    }

    private static string KeyText(MetricSeries series) => series.Key switch
    {
        null => "value",
        { ValueKind: JsonValueKind.String } key => key.GetString()!,
        { } key => key.GetRawText(),
    };

    private static string Number(double? value) =>
        value?.ToString("#,0.###", CultureInfo.InvariantCulture) ?? "-";

    private static DateTimeOffset Time(string option, string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new UsageException($"{option}: '{text}' is not a date or an RFC 3339 time.");

    private static MetricFilter Filter(string text)
    {
        var parts = text.Split(':', 3);
        if (parts.Length != 3 || parts[0].Length == 0)
            throw new UsageException($"--filter '{text}' must read PROPERTY:OP:VALUE, e.g. status:gte:400.");

        object value;
        try
        {
            value = JsonDocument.Parse(parts[2]).RootElement.Clone();
        }
        catch (JsonException)
        {
            value = parts[2];
        }

        return new MetricFilter(parts[0], parts[1], value);
    }
}
