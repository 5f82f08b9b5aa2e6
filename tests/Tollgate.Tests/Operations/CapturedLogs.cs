using System.Collections.Concurrent;
using System.Text;

namespace Tollgate.Tests.Operations;

/// <summary>
/// A logger provider that keeps every line at every level, with its structured values, exception and
/// scopes, as text: what any sink (console, JSON, OTLP) could be given.
/// </summary>
internal sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Each line: level, category, message, values, scopes, exception.</summary>
    public ConcurrentQueue<(LogLevel Level, string Category, string Text)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            owner._scopes.ForEachScope((scope, sb) =>
            {
                sb.Append(" => ").Append(scope);
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        sb.Append(' ').Append(key).Append('=').Append(value);
                    }
                }
            }, text);
            if (exception is not null)
            {
                text.Append(" !! ").Append(exception);
            }

            owner.Lines.Enqueue((logLevel, category, text.ToString()));
        }
    }
}
