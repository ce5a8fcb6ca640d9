namespace Platform.Hosting.Infrastructure;

/// <summary>A server could not be started; carries the last lines it printed, which usually say why.</summary>
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

/// <summary>A server binary is not installed; <see cref="InstallCommand"/> is what the user should run.</summary>
public sealed class InfrastructureNotInstalledException : Exception
{
    public InfrastructureNotInstalledException(string message, string installCommand)
        : base($"{message} Install it with: {installCommand}") => InstallCommand = installCommand;

    public InfrastructureNotInstalledException() : this("A server binary is missing.", "") { }

    public InfrastructureNotInstalledException(string message) : this(message, "") { }

    public InfrastructureNotInstalledException(string message, Exception innerException) : base(message, innerException) => InstallCommand = "";

    public string InstallCommand { get; }
}
