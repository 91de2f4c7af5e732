using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class LoginSettings : HubSettings
{
    [CommandOption("-u|--username <USERNAME>")]
    [Description("Your username")]
    public string? Username { get; init; }

    [CommandOption("--password-stdin")]
    [Description("Read the password from standard input instead of asking for it")]
    public bool PasswordStdin { get; init; }

    [CommandOption("--permission <PERMISSION>")]
    [Description("A permission to ask for (repeatable); the tenant's defaults when none")]
    public string[]? Permissions { get; init; }

    [CommandOption("--expires-in <SECONDS>")]
    [Description("A shorter lifetime than the tenant's login key lifetime")]
    public long? ExpiresIn { get; init; }

    public override ValidationResult Validate() => string.IsNullOrWhiteSpace(Username)
        ? ValidationResult.Error("--username is required")
        : ValidationResult.Success();
}

internal sealed class LoginCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<LoginSettings>(environment, config)
{
    protected override async Task<int> RunAsync(LoginSettings settings, CancellationToken cancellationToken)
    {
        var password = ReadPassword(settings.PasswordStdin);
        using var client = Connect(needsKey: false);
        var login = await client.LoginAsync(settings.Username!, password,
            settings.Permissions is { Length: > 0 } asked ? asked : null, settings.ExpiresIn, cancellationToken);
        Config.Save(login.Key, client.HubUrl.AbsoluteUri, Config.CaCertificate);

        // The key itself is never printed: it is in the key file, readable by this user only.
        var result = new
        {
            login.KeyId,
            login.Tenant,
            login.Permissions,
            login.ExpiresAt,
            KeyFile = Config.KeyPath,
        };
        if (settings.Json)
        {
            WriteJson(result);
        }
        else
        {
            WriteLine($"Logged in to {client.HubUrl} as {settings.Username} (tenant {login.Tenant}).");
            WriteLine($"Key {login.KeyId} ({string.Join(' ', login.Permissions)}) expires {login.ExpiresAt:u}; "
                + $"stored in {Config.KeyPath}.");
        }

        return LyzerCli.Done;
    }

    private string ReadPassword(bool fromStdin)
    {
        if (fromStdin)
        {
            var line = Environment.In.ReadLine();
            // Only the line break is removed: spaces may be part of a password.
            if (string.IsNullOrEmpty(line)) throw new UsageException("--password-stdin: standard input was empty.");
            return line.TrimEnd('\r');
        }

        if (!Environment.Interactive)
            throw new UsageException("No terminal to ask for the password: pass it with --password-stdin.");
        return Environment.Console.Prompt(new TextPrompt<string>("Password:").Secret());
    }
}

internal sealed class WhoamiCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<HubSettings>(environment, config)
{
    protected override async Task<int> RunAsync(HubSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var whoami = await client.WhoamiAsync(cancellationToken);
        if (settings.Json)
        {
            WriteJson(whoami);
            return LyzerCli.Done;
        }

        WriteLine($"hub:         {client.HubUrl}");
        WriteLine($"tenant:      {whoami.Tenant.Slug} ({whoami.Tenant.Id})");
        WriteLine($"user:        {whoami.User.Username} ({whoami.User.Id}), role {whoami.User.Role}");
        WriteLine($"key:         {whoami.Key.Id} {whoami.Key.Start}… expires "
            + (whoami.Key.ExpiresAt is { } at ? at.ToString("u", System.Globalization.CultureInfo.InvariantCulture)
                : "never"));
        WriteLine($"permissions: {string.Join(' ', whoami.Key.EffectivePermissions)}");
        return LyzerCli.Done;
    }
}
