using System.ComponentModel;
using System.Security.Cryptography;
using LyzerHub.Client;
using Spectre.Console.Cli;

namespace LyzerHub.Cli.Commands;

/// <summary>Options every command takes.</summary>
internal class HubSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Print JSON for scripts instead of tables")]
    public bool Json { get; init; }
}

/// <summary>A mistake in how the command was called (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Runs a command and turns the expected failures into a printed line and an exit code: the hub's refusal prints
/// the problem's detail (1), a usage mistake (2), an unreachable hub (3). Never a stack trace for these.
/// </summary>
internal abstract class HubCommand<TSettings>(CliEnvironment environment, CliConfig config)
    : AsyncCommand<TSettings> where TSettings : HubSettings
{
    protected CliEnvironment Environment { get; } = environment;

    protected CliConfig Config { get; } = config;

    public sealed override async Task<int> ExecuteAsync(
        CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(settings, cancellationToken);
        }
        catch (UsageException e)
        {
            return Fail(settings, LyzerCli.BadUsage, "usage", e.Message, null);
        }
        catch (LyzerHubException e) when (e.Code == "missing_key")
        {
            return Fail(settings, LyzerCli.BadUsage, e.Code, e.Detail, null);
        }
        catch (LyzerHubException e)
        {
            return Fail(settings, e.IsUnreachable ? LyzerCli.Unreachable : LyzerCli.Refused, e.Code, e.Detail,
                (int?)e.Status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // A file the user named (an input, the CA certificate) cannot be read: their input, not our bug.
            return Fail(settings, LyzerCli.BadUsage, "file", e.Message, null);
        }
    }

    protected abstract Task<int> RunAsync(TSettings settings, CancellationToken cancellationToken);

    /// <summary>A client for the configured hub; with <paramref name="needsKey"/>, fails early without a key.
    /// </summary>
    protected LyzerHubClient Connect(bool needsKey = true)
    {
        var key = Config.Key;
        if (needsKey && key is null)
            throw new UsageException("Not logged in: run `lyzer login --username NAME` or set LYZER_KEY.");

        var hubUrl = HubUri();
        var ca = Config.CaCertificate;
        if (ca is not null && !File.Exists(ca)) throw new UsageException($"LYZER_CA_CERT: no file at {ca}.");
        return LyzerHubClient.Create(options =>
        {
            options.HubUrl = hubUrl;
            options.CaCertificatePath = ca;
            options.Key = key ?? "";
        });
    }

    protected Uri HubUri()
    {
        var text = Config.HubUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || !LyzerHubServiceCollectionExtensions.IsAllowed(url))
        {
            throw new UsageException(
                $"LYZER_HUB_URL '{text}' must be an https:// address (http:// only to a loopback address).");
        }

        return url;
    }

    protected void WriteJson(object value) => CliJson.Write(Environment.Out, value);

    /// <summary>Prints a line, or a value as JSON, to standard output.</summary>
    internal void Print(object value)
    {
        if (value is string line) WriteLine(line);
        else WriteJson(value);
    }

    protected void WriteLine(string text) => Environment.Out.WriteLine(text);

    private int Fail(TSettings settings, int exitCode, string code, string detail, int? status)
    {
        if (settings.Json)
            CliJson.Write(Environment.Out, new { Error = new { Status = status, Code = code, Detail = detail } });
        else
            Environment.Error.WriteLine("error: " + detail);
        return exitCode;
    }
}
