using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Platform.Auth.Tests.Support;

/// <summary>Every log entry of a host, formatted as a sink would write it (message, state values, exception and scopes).</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> entries = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Entries => entries;

    public int Count => entries.Count;

    public string All => string.Join('\n', entries);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => sink.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            // Structured sinks (OTLP, JSON console) also write each named value and the scopes, so those are searched too.
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            sink.scopes.ForEachScope((scope, builder) => builder.Append(" | scope ").Append(scope), text);
            if (exception is not null)
            {
                text.Append('\n').Append(exception);
            }

            sink.entries.Enqueue(text.ToString());
        }
    }
}
