using System.Globalization;

namespace LyzerHub.Bench;

/// <summary>The command line: <c>ingest [--events N] [--clients C] [--batch B] [--json FILE]</c>.</summary>
internal sealed record BenchArguments(int Events, int Clients, int BatchSize, string? JsonPath = null)
{
    public const string Usage = "usage: LyzerHub.Bench ingest [--events N (default 200000)] "
        + "[--clients C (default 4)] [--batch B (events per append and per request, default 1000, at most 5000)] "
        + "[--json FILE (also write the figures there, for bench/plot.py)]";

    public static BenchArguments? TryParse(string[] args, out string? error)
    {
        error = null;
        if (args.Length == 0 || args[0] != "ingest")
        {
            error = Usage;
            return null;
        }

        int events = 200_000, clients = 4, batch = 1_000;
        string? json = null;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var parsed = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number);
            switch (args[i])
            {
                case "--events" when parsed && number > 0:
                    events = number;
                    break;
                // 5,000 is the most one request may carry (PRODUCT.md §6.1).
                case "--batch" when parsed && number is > 0 and <= 5_000:
                    batch = number;
                    break;
                case "--clients" when parsed && number > 0:
                    clients = number;
                    break;
                case "--json" when value is { Length: > 0 }:
                    json = value;
                    break;
                default:
                    error = $"unexpected argument '{args[i]}' {value}\n{Usage}";
                    return null;
            }

            i++;
        }

        if (events % batch != 0)
        {
            error = $"--events must be a multiple of the batch size ({batch})\n{Usage}";
            return null;
        }

        return new BenchArguments(events, clients, batch, json);
    }
}
