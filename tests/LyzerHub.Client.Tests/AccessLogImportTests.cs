using System.Globalization;
using System.Text.Json.Nodes;
using LyzerHub.Cli.AccessLogs;
using LyzerHub.Client.Tests.TestSupport;

namespace LyzerHub.Client.Tests;

/// <summary><c>lyzer import access-log</c> on the shared real log, checked against metrics the test computes from
/// the file itself with its own reader (<see cref="AccessLogLine"/>).</summary>
public sealed class AccessLogImportTests
{
    private const string From = "2015-05-17T00:00:00Z";
    private const string To = "2015-05-21T00:00:00Z";

    [SkippableFact]
    public async Task ImportAccessLog_RealLog_MetricsMatchTheFileAndReimportAddsNothing()
    {
        var file = SharedData.Find("access-2015-05.log");
        Skip.If(file is null, "../shared/data/access-2015-05.log is absent");
        var (lines, unparsed) = AccessLogLine.ParseFile(file);
        await using var hub = await TestHub.StartAsync();
        using var cli = new CliRun(hub);
        await cli.RunAsync("login --username admin --password-stdin", TestHub.AdminPassword);

        var import = await cli.RunAsync($"import access-log \"{file}\" --json");
        var again = await cli.RunAsync($"import access-log \"{file}\"");
        var hourly = await cli.RunAsync(
            $"metrics query --event http_request --from {From} --to {To} --interval hour --timezone UTC --json");
        var bytes = await cli.RunAsync(
            $"metrics query -e http_request -m sum -p bytes --from {From} --to {To} -i none --json");
        var chart = await cli.RunAsync($"metrics query -e http_request --from {From} --to {To} --chart");

        Assert.True(import.ExitCode == 0, import.ToString());
        var summary = JsonNode.Parse(import.Out)!;
        Assert.Equal(File.ReadLines(file).Count(), (int)summary["lines_read"]!);
        Assert.Equal(lines.Count, (int)summary["accepted"]!);
        Assert.Equal(0, (int)summary["duplicates"]!);
        Assert.Equal(unparsed, summary["unparsed_lines"]!.AsArray().Select(n => (int)n!).ToList());

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"0 events accepted, {lines.Count} duplicates", again.Out, StringComparison.Ordinal);

        Assert.True(hourly.ExitCode == 0, hourly.ToString());
        var expected = lines.GroupBy(l => HourStart(l.Timestamp)).ToDictionary(g => g.Key, g => g.Count());
        var points = JsonNode.Parse(hourly.Out)!["series"]![0]!["points"]!.AsArray();
        Assert.Equal(96, points.Count);
        foreach (var point in points)
        {
            var t = DateTimeOffset.Parse((string)point!["t"]!, CultureInfo.InvariantCulture);
            Assert.Equal(expected.GetValueOrDefault(t), (double)point["value"]!);
        }

        Assert.Equal(lines.Sum(l => l.Bytes), (double)JsonNode.Parse(bytes.Out)!["series"]![0]!["total"]!);
        Assert.True(chart.ExitCode == 0, chart.ToString());
        Assert.Contains("total", chart.Out, StringComparison.Ordinal);
        Assert.Contains(lines.Count.ToString("#,0", CultureInfo.InvariantCulture), chart.Out, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Reader_RealLog_SameEventsAsTheTestsOwnReading()
    {
        var file = SharedData.Find("access-2015-05.log");
        Skip.If(file is null, "../shared/data/access-2015-05.log is absent");
        var (expected, unparsed) = AccessLogLine.ParseFile(file);

        using var reader = new StreamReader(file);
        var entries = AccessLogReader.Read(reader).ToList();

        Assert.Equal(unparsed, entries.Where(e => e.Event is null).Select(e => e.LineNumber).ToList());
        var events = entries.Where(e => e.Event is not null).ToList();
        Assert.Equal(expected.Count, events.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(JsonNode.DeepEquals(expected[i].ToEvent(), events[i].Event), $"line {events[i].LineNumber}");
    }

    [Fact]
    public void Reader_EdgeCases_FollowTheContract()
    {
        const string Line = "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"GET /a?x=1 HTTP/1.1\" 200 12";
        var text = string.Join('\n',
            Line,
            "  " + Line + "\r",
            "",
            "10.0.0.2 - bob [17/May/2015:10:05:03 -0400] \"-\" 400 - \"-\" \"curl \\\"q\\\"\"",
            "10.0.0.3 - - [17/May/2015:10:05:03 +0000] \"GET /truncated HTTP/1.1\" 200",
            "");

        var entries = AccessLogReader.Read(new StringReader(text)).ToList();

        Assert.Equal(5, entries.Count);
        var (first, second) = (entries[0].Event!, entries[1].Event!);
        Assert.Equal(AccessLogReader.EventId(Line, 0), (string?)first["id"]);
        Assert.Equal(AccessLogReader.EventId(Line, 1), (string?)second["id"]);
        Assert.StartsWith("al_", (string?)first["id"], StringComparison.Ordinal);
        Assert.Equal(35, ((string)first["id"]!).Length);
        Assert.Equal("/a", (string?)first["properties"]!["path"]);
        Assert.Equal("x=1", (string?)first["properties"]!["query"]);
        Assert.Equal(12, (long)first["properties"]!["bytes"]!);
        Assert.Null(entries[2].Event);
        var odd = entries[3].Event!["properties"]!;
        Assert.Equal("-", (string?)odd["request"]);
        Assert.Null(odd["method"]);
        Assert.Equal(0, (long)odd["bytes"]!);
        Assert.Equal("bob", (string?)odd["user"]);
        Assert.Equal("curl \"q\"", (string?)odd["user_agent"]);
        Assert.Null(odd["referrer"]);
        Assert.Equal("2015-05-17T10:05:03-04:00", (string?)entries[3].Event!["timestamp"]);
        Assert.Null(entries[4].Event);
    }

    private static DateTimeOffset HourStart(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}
