using LyzerHub.Cli.Commands;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Cli;

namespace LyzerHub.Cli;

/// <summary>The <c>lyzer</c> command line. Exit codes (PRODUCT.md §7): 0 done, 1 the hub refused, 2 bad usage,
/// 3 cannot reach the hub; and 4 from <c>audit verify</c> when the chain is broken.</summary>
internal static class LyzerCli
{
    public const int Done = 0;
    public const int Refused = 1;
    public const int BadUsage = 2;
    public const int Unreachable = 3;

    /// <summary>What a lone <c>-</c> argument (standard input, by convention) is passed on as: Spectre.Console.Cli
    /// would read <c>-</c> as an option without a name.</summary>
    public const string StandardInput = "\0stdin";

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment)
    {
        var services = new ServiceCollection();
        services.AddSingleton(environment);
        services.AddSingleton<CliConfig>();
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("lyzer");
            config.ConfigureConsole(environment.Console);
            // Parse errors come back to us as exceptions, so they map to exit code 2 and print one line.
            config.PropagateExceptions();
            config.AddCommand<LoginCommand>("login").WithDescription("Log in and store a key for later commands")
                .WithExample("login", "--username", "admin", "--password-stdin");
            config.AddCommand<WhoamiCommand>("whoami").WithDescription("Show the key in use, its user and tenant");
            config.AddBranch("key", key =>
            {
                key.SetDescription("Keys: list, create, roll and revoke");
                key.AddCommand<KeyListCommand>("list")
                    .WithDescription("List your keys (the tenant's with manage:keys)");
                key.AddCommand<KeyCreateCommand>("create")
                    .WithDescription("Create a named key (needs a login key or manage:keys)");
                key.AddCommand<KeyRollCommand>("roll").WithDescription("Give your own key a new secret");
                key.AddCommand<KeyRevokeCommand>("revoke").WithDescription("Revoke a key by id");
            });
            config.AddBranch("user", user =>
            {
                user.SetDescription("Users of your tenant (manage:users)");
                user.AddCommand<UserListCommand>("list").WithDescription("List users");
                user.AddCommand<UserCreateCommand>("create").WithDescription("Create a user");
                user.AddCommand<UserRoleCommand>("role").WithDescription("Change a user's role");
                user.AddCommand<UserOffboardCommand>("offboard")
                    .WithDescription("Disable a user and revoke all their keys");
            });
            config.AddBranch("tenant", tenant =>
            {
                tenant.SetDescription("Tenants (operator)");
                tenant.AddCommand<TenantCreateCommand>("create").WithDescription("Create a tenant with its owner");
            });
            config.AddBranch("events", events =>
            {
                events.SetDescription("Events");
                events.AddCommand<EventsSendCommand>("send")
                    .WithDescription("Send NDJSON events from a file or standard input");
            });
            config.AddBranch("import", import =>
            {
                import.SetDescription("Import events from files");
                import.AddCommand<ImportAccessLogCommand>("access-log")
                    .WithDescription("Import an Apache/nginx access log (combined or common format)");
            });
            config.AddBranch("audit", audit =>
            {
                audit.SetDescription("The audit trail (read:audit)");
                audit.AddCommand<AuditListCommand>("list").WithDescription("List audit entries, newest first");
                audit.AddCommand<AuditVerifyCommand>("verify")
                    .WithDescription("Check the audit chain; exit 4 when an entry was changed, moved or removed");
            });
            config.AddBranch("metrics", metrics =>
            {
                metrics.SetDescription("Metrics");
                metrics.AddCommand<MetricsQueryCommand>("query").WithDescription("Query a metric");
            });
        });

        try
        {
            return await app.RunAsync(args.Select(a => a == "-" ? StandardInput : a));
        }
        catch (CommandAppException e)
        {
            await environment.Error.WriteLineAsync("error: " + e.Message);
            return BadUsage;
        }
    }
}
