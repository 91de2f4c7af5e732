using System.ComponentModel;
using System.Text.Json.Nodes;
using LyzerHub.Cli.AccessLogs;
using LyzerHub.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class ImportAccessLogSettings : HubSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("An access log in the combined or common format")]
    public string File { get; init; } = "";

    [CommandOption("--batch-size <N>")]
    [Description("Events per request, 1 to 5000 (default 1000)")]
    public int BatchSize { get; init; } = 1000;

    public override ValidationResult Validate() => BatchSize is < 1 or > 5000
        ? ValidationResult.Error("--batch-size must be 1 to 5000")
        : ValidationResult.Success();
}

/// <summary>What an import did, printed at its end.</summary>
internal sealed record ImportSummary(
    string File,
    int LinesRead,
    int Accepted,
    int Duplicates,
    int Rejected,
    int Unparsed,
    IReadOnlyList<int> UnparsedLines,
    IReadOnlyList<EventResult> RejectedEvents);

internal sealed class ImportAccessLogCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<ImportAccessLogSettings>(environment, config)
{
    private const int LinesShown = 20;

    protected override async Task<int> RunAsync(ImportAccessLogSettings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.File)) throw new UsageException($"No file at {settings.File}.");
        using var client = Connect();
        await using var stream = File.OpenRead(settings.File);
        using var reader = new StreamReader(stream);

        ImportSummary summary;
        if (Environment.Interactive && !settings.Json)
        {
            summary = await Environment.Console.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var task = progress.AddTask("Importing " + Markup.Escape(Path.GetFileName(settings.File)),
                    maxValue: Math.Max(1, stream.Length));
                return await ImportAsync(client, reader, settings, () => task.Value = stream.Position,
                    cancellationToken);
            });
        }
        else
        {
            summary = await ImportAsync(client, reader, settings, () => { }, cancellationToken);
        }

        if (settings.Json)
        {
            WriteJson(summary);
            return LyzerCli.Done;
        }

        WriteLine($"{summary.LinesRead} lines read: {summary.Accepted} events accepted, {summary.Duplicates} "
            + $"duplicates, {summary.Rejected} rejected, {summary.Unparsed} lines not parsed.");
        if (summary.Unparsed > 0)
        {
            var shown = string.Join(", ", summary.UnparsedLines.Take(LinesShown));
            var more = summary.Unparsed > LinesShown ? $" and {summary.Unparsed - LinesShown} more (see --json)" : "";
            WriteLine($"Lines not parsed: {shown}{more}.");
        }

        foreach (var rejected in summary.RejectedEvents.Take(LinesShown))
            WriteLine($"Rejected {rejected.Id}: {rejected.Reason}");
        return LyzerCli.Done;
    }

    private static async Task<ImportSummary> ImportAsync(
        LyzerHubClient client,
        StreamReader reader,
        ImportAccessLogSettings settings,
        Action reportProgress,
        CancellationToken cancellationToken)
    {
        var (lines, accepted, duplicates) = (0, 0, 0);
        var unparsed = new List<int>();
        var rejected = new List<EventResult>();
        var batch = new List<JsonObject>(settings.BatchSize);

        async Task SendAsync()
        {
            if (batch.Count == 0) return;
            var result = await client.SendEventsAsync(batch, cancellationToken);
            accepted += result.Accepted;
            duplicates += result.Duplicates;
            rejected.AddRange(result.Results.Where(r => r.Status == "rejected"));
            batch.Clear();
            reportProgress();
        }

        foreach (var entry in AccessLogReader.Read(reader))
        {
            lines = entry.LineNumber;
            if (entry.Event is null) unparsed.Add(entry.LineNumber);
            else batch.Add(entry.Event);
            if (batch.Count == settings.BatchSize) await SendAsync();
        }

        await SendAsync();
        reportProgress();
        return new ImportSummary(settings.File, lines, accepted, duplicates, rejected.Count, unparsed.Count, unparsed,
            rejected);
    }
}
