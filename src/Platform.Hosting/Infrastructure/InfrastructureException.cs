namespace Platform.Hosting.Infrastructure;

/// <summary>A server could not be started; carries the last lines it printed, which usually say why.</summary>
public sealed class InfrastructureException : Exception
{
    public InfrastructureException(string message, IReadOnlyList<string>? recentOutput = null)
        : base(message) => RecentOutput = recentOutput ?? [];

    public InfrastructureException() : this("Infrastructure failed to start.") { }

    public InfrastructureException(string message, Exception innerException) : base(message, innerException) => RecentOutput = [];

    public IReadOnlyList<string> RecentOutput { get; }

    public override string ToString() =>
        RecentOutput.Count == 0 ? base.ToString() : $"{Message}{Environment.NewLine}--- last output ---{Environment.NewLine}{string.Join(Environment.NewLine, RecentOutput)}";
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
