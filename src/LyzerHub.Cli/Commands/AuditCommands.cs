using System.ComponentModel;
using System.Globalization;
using LyzerHub.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal class AuditChainSettings : HubSettings
{
    [CommandOption("--hub")]
    [Description("The hub's own chain (unknown usernames, tenant creation) instead of your tenant's; operator only")]
    public bool Hub { get; init; }
}

internal sealed class AuditListSettings : AuditChainSettings
{
    [CommandOption("--action <ACTION>")]
    [Description("Only this action, e.g. key.revoked or auth.login_failed")]
    public string? Action { get; init; }

    [CommandOption("--actor <ID>")]
    [Description("Only entries by this user id or key id")]
    public string? Actor { get; init; }

    [CommandOption("--target <ID>")]
    [Description("Only entries about this key, user or tenant id")]
    public string? Target { get; init; }

    [CommandOption("--from <TIME>")]
    [Description("Entries at or after this RFC 3339 time, e.g. 2026-12-04T00:00:00Z")]
    public string? From { get; init; }

    [CommandOption("--to <TIME>")]
    [Description("Entries before this RFC 3339 time")]
    public string? To { get; init; }

    [CommandOption("--limit <N>")]
    [Description("How many of the newest entries to show (default 50, at most 1000)")]
    public int? Limit { get; init; }

    [CommandOption("--all")]
    [Description("Every matching entry, page after page")]
    public bool All { get; init; }

    public override ValidationResult Validate() =>
        All && Limit is not null
            ? ValidationResult.Error("--limit and --all exclude each other")
            : ValidationResult.Success();
}

/// <summary><c>lyzer audit list</c>: the newest entries as a table, or <c>{"data": [...]}</c> with --json.</summary>
internal sealed class AuditListCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<AuditListSettings>(environment, config)
{
    protected override async Task<int> RunAsync(AuditListSettings settings, CancellationToken cancellationToken)
    {
        var filter = new AuditFilter(Time(settings.From, "--from"), Time(settings.To, "--to"), settings.Action,
            settings.Actor, settings.Target);
        using var client = Connect();
        var entries = new List<AuditEntry>();
        string? cursor = null;
        do
        {
            var page = await client.ListAuditAsync(filter, settings.All ? 1000 : settings.Limit, cursor, settings.Hub,
                cancellationToken);
            entries.AddRange(page.Data);
            cursor = settings.All ? page.NextCursor : null;
        }
        while (cursor is not null);

        if (settings.Json)
        {
            WriteJson(new { Data = entries });
            return LyzerCli.Done;
        }

        var table = new Table().AddColumns("time", "action", "actor", "target", "outcome", "count", "address");
        foreach (var entry in entries)
        {
            table.AddRow(entry.Time.ToString("u", CultureInfo.InvariantCulture), Markup.Escape(entry.Action),
                Markup.Escape(entry.Actor), Markup.Escape(entry.Target ?? "-"), Markup.Escape(entry.Outcome),
                entry.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape(entry.ClientAddress ?? "-"));
        }

        Environment.Console.Write(table);
        return LyzerCli.Done;
    }

    private static DateTimeOffset? Time(string? text, string option)
    {
        if (text is null) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new UsageException($"{option} '{text}' must be an RFC 3339 time, e.g. 2026-12-04T00:00:00Z.");
    }
}

/// <summary>
/// <c>lyzer audit verify</c>: asks the hub to walk the chain. Exit 0 when it is intact, <see cref="Broken"/> (4)
/// when it is not, so a script or a cron job can alarm on it; the hub refusing is 1 as for every command.
/// </summary>
internal sealed class AuditVerifyCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<AuditChainSettings>(environment, config)
{
    public const int Broken = 4;

    protected override async Task<int> RunAsync(AuditChainSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var result = await client.VerifyAuditAsync(settings.Hub, cancellationToken);
        if (settings.Json) WriteJson(result);
        else if (result.Ok) WriteLine($"Audit chain intact: {result.Entries} entries, head {result.Head}.");
        else WriteLine($"Audit chain BROKEN at entry {result.FirstBad} ({result.Entries} entries).");
        return result.Ok ? LyzerCli.Done : Broken;
    }
}
