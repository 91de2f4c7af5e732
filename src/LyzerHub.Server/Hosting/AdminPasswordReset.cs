using LyzerHub.Server.Audit;
using LyzerHub.Server.Storage.Sqlite;
using LyzerHub.Server.Tenants;
using Microsoft.Extensions.Options;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// <c>LyzerHub.Server reset-admin-password</c> (PRODUCT.md §2): a new generated password for the operator,
/// printed once, every key of the operator revoked and their console sessions ended. Refuses while a hub holds the
/// data directory, because a running hub would keep serving the operator's cached keys.
/// </summary>
public static class AdminPasswordReset
{
    /// <summary>
    /// Runs the command; the new password goes to <paramref name="output"/> (the console), never a log.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var options = configuration.GetSection(HubOptions.SectionName).Get<HubOptions>() ?? new HubOptions();

        using var dataDirLock = DataDirLock.TryAcquire(options.DataDirFullPath);
        if (dataDirLock is null)
        {
            await error.WriteLineAsync($"A Lyzer Hub is running on {options.DataDirFullPath}; stop it first.");
            return 1;
        }

        var store = new SqliteControlStore(Options.Create(options),
            AuditChainKey.LoadOrCreate(options.DataDirFullPath));
        await store.InitializeAsync(CancellationToken.None);
        var admin = await store.FindOperatorAsync(CancellationToken.None);
        if (admin is null)
        {
            await error.WriteLineAsync("There is no operator yet: start the hub once to create it.");
            return 1;
        }

        using var slots = new Auth.PasswordHashingSlots(Options.Create(options));
        var hasher = new Auth.PasswordHasher(slots);
        var password = Passwords.Generate();
        var hash = await hasher.HashAsync(password, CancellationToken.None)
            ?? throw new InvalidOperationException("No hashing slot in an otherwise idle process.");
        var now = TimeProvider.System.GetUtcNow();
        var revoked = await store.ResetPasswordAsync(admin.Id, hash, now,
            AuditActor.System.Draft(now, admin.TenantId, AuditActions.PasswordChanged, admin.Id,
                detail: "reset-admin-password; every key of the user revoked"), CancellationToken.None);

        await output.WriteLineAsync(
            $"New password for '{admin.Username}': {password}{Environment.NewLine}" +
            $"It is shown only this once. {revoked} key(s) of '{admin.Username}' were revoked and their " +
            "console sessions ended.");
        return 0;
    }
}
