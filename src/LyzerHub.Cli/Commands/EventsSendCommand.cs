using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Client;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class EventsSendSettings : HubSettings
{
    [CommandArgument(0, "[FILE]")]
    [Description("An NDJSON file, one event per line; standard input when absent or -")]
    public string? File { get; init; }
}

internal sealed class EventsSendCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<EventsSendSettings>(environment, config)
{
    private const int BatchSize = 1000;

    protected override async Task<int> RunAsync(EventsSendSettings settings, CancellationToken cancellationToken)
    {
        var fromStdin = settings.File is null or LyzerCli.StandardInput;
        if (!fromStdin && !File.Exists(settings.File)) throw new UsageException($"No file at {settings.File}.");

        // Every line is checked before anything is sent, so a typo on line 900 does not leave half a file stored.
        // Known gap: that holds the whole input in memory — a two-pass read (check, then send) of files would not.
        var events = new List<JsonObject>();
        using (var reader = fromStdin ? null : new StreamReader(settings.File!))
        {
            var input = reader ?? Environment.In;
            var number = 0;
            while (await input.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    events.Add(JsonNode.Parse(line) as JsonObject
                        ?? throw new UsageException($"Line {number} is not a JSON object."));
                }
                catch (JsonException e)
                {
                    throw new UsageException($"Line {number} is not valid JSON: {e.Message}");
                }
            }
        }

        using var client = Connect();
        var (accepted, duplicates) = (0, 0);
        var rejected = new List<EventResult>();
        var offset = 0;
        foreach (var chunk in events.Chunk(BatchSize))
        {
            var result = await client.SendEventsAsync(chunk, cancellationToken);
            accepted += result.Accepted;
            duplicates += result.Duplicates;
            // The hub numbers items within one request; people think in events of the whole input.
            rejected.AddRange(result.Results.Where(r => r.Status == "rejected")
                .Select(r => r with { Index = r.Index + offset }));
            offset += chunk.Length;
        }

        if (settings.Json)
        {
            WriteJson(new { Events = events.Count, Accepted = accepted, Duplicates = duplicates,
                Rejected = rejected.Count, RejectedEvents = rejected });
            return LyzerCli.Done;
        }

        WriteLine($"{events.Count} events: {accepted} accepted, {duplicates} duplicates, {rejected.Count} rejected.");
        foreach (var item in rejected) WriteLine($"Rejected #{item.Index} {item.Id}: {item.Reason}");
        return LyzerCli.Done;
    }
}
