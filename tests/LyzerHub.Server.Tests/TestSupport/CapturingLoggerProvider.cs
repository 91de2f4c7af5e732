using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LyzerHub.Server.Tests.TestSupport;

/// <summary>Keeps every log entry the hub writes, at every level, so tests can scan them for secrets.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyCollection<CapturedLog> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            // Structured values too: a secret passed as a parameter but left out of the template still leaks.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            var text = $"{formatter(state, exception)} {values} {exception}";
            entries.Enqueue(new CapturedLog(category, logLevel, eventId, text));
        }
    }
}

public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Text);
