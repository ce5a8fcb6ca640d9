namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A server could not be prepared or started, or is not installed (then the message ends with the command that
/// installs it); carries the last lines the server printed, which usually say why.
/// </summary>
public sealed class InfrastructureException : Exception
{
    public InfrastructureException(string message, IReadOnlyList<string>? recentOutput = null)
        : base(WithOutput(message, recentOutput)) => RecentOutput = recentOutput ?? [];

    public InfrastructureException() : this("Infrastructure failed to start.") { }

    public InfrastructureException(string message, Exception innerException) : base(message, innerException) => RecentOutput = [];

    public IReadOnlyList<string> RecentOutput { get; }

    /// <summary>A server binary is missing; the message ends with what the user should run.</summary>
    public static InfrastructureException NotInstalled(string message, string installCommand) => new($"{message} Install it with: {installCommand}");

    /// <summary>The message ends with the server's last lines, because test runners and logs show only the message.</summary>
    private static string WithOutput(string message, IReadOnlyList<string>? recentOutput) =>
        recentOutput is null or { Count: 0 }
            ? message
            : $"{message}{Environment.NewLine}--- last output ---{Environment.NewLine}{string.Join(Environment.NewLine, recentOutput.TakeLast(15))}";
}
