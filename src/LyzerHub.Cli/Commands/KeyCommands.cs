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

internal sealed class KeyCreateSettings : HubSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("A name to recognise the key by")]
    public string Name { get; init; } = "";

    [CommandOption("--permission <PERMISSION>")]
    [Description("A permission for the key (repeatable), within your own key's")]
    public string[]? Permissions { get; init; }

    [CommandOption("--expires-in <SECONDS>")]
    [Description("Lifetime in seconds; the hub's default (30 days or the tenant's maximum) when absent")]
    public long? ExpiresIn { get; init; }

    [CommandOption("--never-expires")]
    [Description("A key that never expires, where the tenant's policy allows it")]
    public bool NeverExpires { get; init; }

    [CommandOption("--rate-limit <REQUESTS/SECONDS>")]
    [Description("The key's own limit, e.g. 600/60; no looser than the tenant's default")]
    public string? RateLimit { get; init; }

    public override ValidationResult Validate()
    {
        if (Permissions is not { Length: > 0 }) return ValidationResult.Error("give at least one --permission");
        return NeverExpires && ExpiresIn is not null
            ? ValidationResult.Error("--expires-in and --never-expires exclude each other")
            : ValidationResult.Success();
    }
}

internal sealed class KeyCreateCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<KeyCreateSettings>(environment, config)
{
    protected override async Task<int> RunAsync(KeyCreateSettings settings, CancellationToken cancellationToken)
    {
        var limit = settings.RateLimit is { } text ? ParseRateLimit(text) : null;
        using var client = Connect();
        var key = await client.CreateKeyAsync(settings.Name, settings.Permissions!,
            settings.ExpiresIn is { } seconds ? TimeSpan.FromSeconds(seconds) : null, settings.NeverExpires, limit,
            cancellationToken);
        return KeyOutput.Issued(this, settings.Json, key, "Created");
    }

    private static LyzerHub.Client.KeyRateLimit ParseRateLimit(string text)
    {
        var parts = text.Split('/');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var requests)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var window)
            ? new LyzerHub.Client.KeyRateLimit(requests, window)
            : throw new UsageException($"--rate-limit '{text}' must read REQUESTS/SECONDS, e.g. 600/60.");
    }
}

internal sealed class KeyRollSettings : HubSettings
{
    [CommandArgument(0, "<KEY_ID>")]
    public string Id { get; init; } = "";

    [CommandOption("--grace <SECONDS>")]
    [Description("How long the previous secret keeps working (default 0, at most 7 days)")]
    public long Grace { get; init; }
}

internal sealed class KeyRollCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<KeyRollSettings>(environment, config)
{
    protected override async Task<int> RunAsync(KeyRollSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var key = await client.RollKeyAsync(settings.Id, TimeSpan.FromSeconds(settings.Grace), cancellationToken);
        return KeyOutput.Issued(this, settings.Json, key, "Rolled");
    }
}

/// <summary>Prints a key just issued: the one time its secret is shown, so it goes to standard output.</summary>
internal static class KeyOutput
{
    public static int Issued<TSettings>(
        HubCommand<TSettings> command, bool json, LyzerHub.Client.KeyInfo key, string verb)
        where TSettings : HubSettings
    {
        if (json)
        {
            command.Print(key);
            return LyzerCli.Done;
        }

        command.Print($"{verb} {key.Id} '{key.Name}' ({string.Join(' ', key.Permissions)}), expires "
            + (key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never") + ".");
        command.Print("The key (shown this once, store it now):");
        command.Print(key.Key ?? "");
        return LyzerCli.Done;
    }
}
