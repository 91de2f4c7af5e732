using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class KeyListSettings : HubSettings
{
    [CommandOption("--all")]
    [Description("Also expired and revoked keys")]
    public bool All { get; init; }

    [CommandOption("--user <USER_ID>")]
    [Description("Only this user's keys (needs manage:keys)")]
    public string? User { get; init; }
}

internal sealed class KeyListCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<KeyListSettings>(environment, config)
{
    protected override async Task<int> RunAsync(KeyListSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var keys = new List<LyzerHub.Client.KeyInfo>();
        string? cursor = null;
        do
        {
            var page = await client.ListKeysAsync(settings.All, settings.User, 1000, cursor, cancellationToken);
            keys.AddRange(page.Data);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        if (settings.Json)
        {
            WriteJson(new { Data = keys });
            return LyzerCli.Done;
        }

        var table = new Table().AddColumns("id", "name", "start", "status", "permissions", "expires", "last used");
        foreach (var key in keys)
        {
            table.AddRow(Markup.Escape(key.Id), Markup.Escape(key.Name), Markup.Escape(key.Start), key.Status,
                Markup.Escape(string.Join(' ', key.Permissions)), Time(key.ExpiresAt), Time(key.LastUsedAt));
        }

        Environment.Console.Write(table);
        return LyzerCli.Done;
    }

    private static string Time(DateTimeOffset? value) =>
        value?.ToString("u", CultureInfo.InvariantCulture) ?? "-";
}

internal sealed class KeyIdSettings : HubSettings
{
    [CommandArgument(0, "<KEY_ID>")]
    [Description("The key's id, key_…")]
    public string Id { get; init; } = "";
}

internal sealed class KeyRevokeCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<KeyIdSettings>(environment, config)
{
    protected override async Task<int> RunAsync(KeyIdSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        await client.RevokeKeyAsync(settings.Id, cancellationToken);
        if (settings.Json) WriteJson(new { Revoked = true, settings.Id });
        else WriteLine($"Revoked {settings.Id}.");
        return LyzerCli.Done;
    }
}
