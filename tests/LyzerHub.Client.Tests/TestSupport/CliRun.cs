using LyzerHub.Cli;

namespace LyzerHub.Client.Tests.TestSupport;

/// <summary>Runs <c>lyzer</c> in-process as a user would (arguments, standard input, environment variables),
/// against one hub, with its own config directory.</summary>
public sealed class CliRun(TestHub hub) : IDisposable
{
    public string ConfigHome { get; } =
        Path.Combine(Path.GetTempPath(), "lyzer-cli-test-" + Guid.NewGuid().ToString("N"));

    public async Task<CliResult> RunAsync(string commandLine, string stdin = "", Dictionary<string, string>? env = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["LYZER_HUB_URL"] = hub.BaseAddress.AbsoluteUri,
            ["LYZER_CA_CERT"] = hub.CertificatePath,
            ["XDG_CONFIG_HOME"] = ConfigHome,
            ["HOME"] = ConfigHome,
        };
        foreach (var (name, value) in env ?? []) variables[name] = value;
        return await RunAsync(Split(commandLine), stdin, variables);
    }

    public static async Task<CliResult> RunAsync(string[] args, string stdin, Dictionary<string, string> variables)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(stdin);
        var exit = await LyzerCli.RunAsync(args, CliEnvironment.Captured(output, error, input, variables));
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(ConfigHome)) Directory.Delete(ConfigHome, recursive: true);
    }

    /// <summary>Splits like a shell for the simple command lines tests use: spaces, and double quotes.</summary>
    private static string[] Split(string commandLine)
    {
        var args = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in commandLine)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any) args.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any) args.Add(current.ToString());
        return [.. args];
    }
}

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}
