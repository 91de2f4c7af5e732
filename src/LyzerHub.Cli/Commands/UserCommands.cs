using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

internal sealed class UserListCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<HubSettings>(environment, config)
{
    protected override async Task<int> RunAsync(HubSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var users = new List<LyzerHub.Client.UserInfo>();
        string? cursor = null;
        do
        {
            var page = await client.ListUsersAsync(1000, cursor, cancellationToken);
            users.AddRange(page.Data);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        if (settings.Json)
        {
            WriteJson(new { Data = users });
            return LyzerCli.Done;
        }

        var table = new Table().AddColumns("id", "username", "role", "state", "created");
        foreach (var user in users)
        {
            table.AddRow(Markup.Escape(user.Id), Markup.Escape(user.Username), user.Role, user.State,
                user.CreatedAt.ToString("u", CultureInfo.InvariantCulture));
        }

        Environment.Console.Write(table);
        return LyzerCli.Done;
    }
}

internal sealed class UserCreateSettings : HubSettings
{
    [CommandArgument(0, "<USERNAME>")]
    public string Username { get; init; } = "";

    [CommandOption("--role <ROLE>")]
    [Description("owner, admin, member or viewer")]
    public string Role { get; init; } = "member";

    [CommandOption("--password-stdin")]
    [Description("Read the new user's password from standard input; otherwise the hub generates one")]
    public bool PasswordStdin { get; init; }
}

internal sealed class UserCreateCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<UserCreateSettings>(environment, config)
{
    protected override async Task<int> RunAsync(UserCreateSettings settings, CancellationToken cancellationToken)
    {
        var password = settings.PasswordStdin ? Environment.In.ReadLine()?.TrimEnd('\r') : null;
        using var client = Connect();
        var user = await client.CreateUserAsync(settings.Username, settings.Role, password, cancellationToken);
        if (settings.Json)
        {
            WriteJson(user);
            return LyzerCli.Done;
        }

        WriteLine($"Created {user.Username} ({user.Id}), role {user.Role}.");
        if (user.Password is { } generated) WriteLine($"Generated password (shown once): {generated}");
        return LyzerCli.Done;
    }
}

internal sealed class UserRoleSettings : HubSettings
{
    [CommandArgument(0, "<USER_ID>")]
    public string Id { get; init; } = "";

    [CommandArgument(1, "<ROLE>")]
    public string Role { get; init; } = "";
}

internal sealed class UserRoleCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<UserRoleSettings>(environment, config)
{
    protected override async Task<int> RunAsync(UserRoleSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var user = await client.ChangeUserRoleAsync(settings.Id, settings.Role, cancellationToken);
        if (settings.Json) WriteJson(user);
        else WriteLine($"{user.Username} ({user.Id}) is now {user.Role}.");
        return LyzerCli.Done;
    }
}

internal sealed class UserIdSettings : HubSettings
{
    [CommandArgument(0, "<USER_ID>")]
    public string Id { get; init; } = "";
}

internal sealed class UserOffboardCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<UserIdSettings>(environment, config)
{
    protected override async Task<int> RunAsync(UserIdSettings settings, CancellationToken cancellationToken)
    {
        using var client = Connect();
        var result = await client.OffboardUserAsync(settings.Id, cancellationToken);
        if (settings.Json) WriteJson(result);
        else WriteLine($"Offboarded {settings.Id}; {result.KeysRevoked} keys revoked.");
        return LyzerCli.Done;
    }
}

internal sealed class TenantCreateSettings : HubSettings
{
    [CommandArgument(0, "<SLUG>")]
    [Description("The tenant's slug, [a-z0-9-]{2,40}")]
    public string Slug { get; init; } = "";

    [CommandOption("--name <NAME>")]
    public string? Name { get; init; }

    [CommandOption("--owner <USERNAME>")]
    [Description("The owner's username")]
    public string? Owner { get; init; }

    [CommandOption("--owner-password-stdin")]
    [Description("Read the owner's password from standard input; otherwise the hub generates one")]
    public bool OwnerPasswordStdin { get; init; }

    public override ValidationResult Validate() => string.IsNullOrWhiteSpace(Owner)
        ? ValidationResult.Error("--owner is required")
        : ValidationResult.Success();
}

internal sealed class TenantCreateCommand(CliEnvironment environment, CliConfig config)
    : HubCommand<TenantCreateSettings>(environment, config)
{
    protected override async Task<int> RunAsync(TenantCreateSettings settings, CancellationToken cancellationToken)
    {
        var password = settings.OwnerPasswordStdin ? Environment.In.ReadLine()?.TrimEnd('\r') : null;
        using var client = Connect();
        var tenant = await client.CreateTenantAsync(new LyzerHub.Client.CreateTenantRequest(settings.Slug,
            settings.Name, new LyzerHub.Client.TenantOwnerRequest(settings.Owner!, password)), cancellationToken);
        if (settings.Json)
        {
            WriteJson(tenant);
            return LyzerCli.Done;
        }

        WriteLine($"Created tenant {tenant.Slug} ({tenant.Id}) with owner {tenant.Owner.Username}.");
        if (tenant.Owner.Password is { } generated) WriteLine($"Owner's generated password (shown once): {generated}");
        return LyzerCli.Done;
    }
}
