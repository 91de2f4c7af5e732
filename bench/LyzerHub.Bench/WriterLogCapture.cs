using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LyzerHub.Bench;

/// <summary>
/// Reads the hub's own logs during the run: the writer's "EventsAppended" (4001) line says how many events and
/// requests each append coalesced and how long it took; warnings and errors are echoed so nothing fails silently.
/// </summary>
internal sealed class WriterLogCapture : ILoggerProvider
{
    public const string WriterCategory = "LyzerHub.Server.Events.EventWriter";

    private const int AppendedEventId = 4001;

    private readonly ConcurrentQueue<Append> _appends = new();
    private volatile bool _recording;

    public IReadOnlyCollection<Append> Appends => _appends;

    /// <summary>Starts keeping appends (the warm-up before it is not counted).</summary>
    public void StartRecording()
    {
        _appends.Clear();
        _recording = true;
    }

    public void StopRecording() => _recording = false;

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record Append(int EventCount, int RequestCount, double ElapsedMs);

    private sealed class CaptureLogger(WriterLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                Console.Error.WriteLine($"hub {logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}"
                    + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})"));
            }

            if (eventId.Id != AppendedEventId || category != WriterCategory || !owner._recording) return;
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> fields) return;

            var values = fields.ToDictionary(f => f.Key, f => f.Value);
            owner._appends.Enqueue(new Append(
                (int)values["EventCount"]!, (int)values["RequestCount"]!, (double)values["ElapsedMs"]!));
        }
    }
}
