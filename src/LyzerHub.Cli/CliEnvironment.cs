using Spectre.Console;

namespace LyzerHub.Cli;

/// <summary>
/// Everything the CLI takes from its process: output streams, standard input and environment variables. Tests
/// pass their own, so a command runs in-process exactly as a user would run it, without touching the test
/// process's environment.
/// </summary>
internal sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required TextReader In { get; init; }

    /// <summary>Tables, charts, progress and prompts; writes to <see cref="Out"/>.</summary>
    public required IAnsiConsole Console { get; init; }

    public required Func<string, string?> Variable { get; init; }

    /// <summary>Whether a person is at a terminal (prompts and progress bars make sense).</summary>
    public bool Interactive { get; init; }

    public static CliEnvironment FromProcess()
    {
        var interactive = !System.Console.IsOutputRedirected && !System.Console.IsInputRedirected;
        return new CliEnvironment
        {
            Out = System.Console.Out,
            Error = System.Console.Error,
            In = System.Console.In,
            Console = AnsiConsole.Console,
            Variable = Environment.GetEnvironmentVariable,
            Interactive = interactive,
        };
    }

    /// <summary>An environment over in-memory streams, for tests and scripted use.</summary>
    public static CliEnvironment Captured(
        TextWriter output, TextWriter error, TextReader input, IReadOnlyDictionary<string, string> variables)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Redirected output defaults to 80 columns, which would wrap table rows mid-value.
        console.Profile.Width = 200;
        return new CliEnvironment
        {
            Out = output,
            Error = error,
            In = input,
            Console = console,
            Variable = name => variables.TryGetValue(name, out var value) ? value : null,
            Interactive = false,
        };
    }
}
