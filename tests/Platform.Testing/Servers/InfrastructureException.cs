namespace Platform.Testing.Servers;

/// <summary>A test server could not be started; carries the last lines it printed, which usually say why.</summary>
public sealed class InfrastructureException : Exception
{
    public InfrastructureException(string message, IReadOnlyList<string>? recentOutput = null)
        : base(WithOutput(message, recentOutput)) => RecentOutput = recentOutput ?? [];

    public InfrastructureException() : this("Infrastructure failed to start.") { }

    public InfrastructureException(string message, Exception innerException) : base(message, innerException) => RecentOutput = [];

    public IReadOnlyList<string> RecentOutput { get; }

    /// <summary>The message ends with the server's last lines, because test runners and logs show only the message.</summary>
    private static string WithOutput(string message, IReadOnlyList<string>? recentOutput) =>
        recentOutput is null or { Count: 0 }
            ? message
            : $"{message}{Environment.NewLine}--- last output ---{Environment.NewLine}{string.Join(Environment.NewLine, recentOutput.TakeLast(15))}";
}
