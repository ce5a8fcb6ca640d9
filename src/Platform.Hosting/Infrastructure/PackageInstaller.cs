namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Installs a missing server from the distribution's packages when that is safe to do unattended
/// (Debian/Ubuntu, running as root); everywhere else it only names the exact command to run.
/// </summary>
public static class PackageInstaller
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool s_indexUpdated;

    public static bool IsDebian => File.Exists("/etc/debian_version");

    public static bool CanInstall => IsDebian && Environment.IsPrivilegedProcess && ExecutableSearch.OnPath("apt-get") is not null;

    /// <summary>The command a user should run to install <paramref name="debianPackage"/> on this machine.</summary>
    public static string InstallCommand(string debianPackage)
    {
        if (IsDebian)
        {
            return Environment.IsPrivilegedProcess ? $"apt-get install -y {debianPackage}" : $"sudo apt-get install -y {debianPackage}";
        }

        if (ExecutableSearch.OnPath("dnf") is not null)
        {
            return $"sudo dnf install -y {FedoraName(debianPackage)}";
        }

        if (ExecutableSearch.OnPath("brew") is not null)
        {
            return $"brew install {HomebrewName(debianPackage)}";
        }

        return $"install the '{debianPackage}' package (Debian name) with your system's package manager";
    }

    /// <summary>Runs apt-get (updating the package index once per process), streaming its output to <paramref name="say"/>.</summary>
    public static async Task InstallAsync(string debianPackage, Action<string> say, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        if (!CanInstall)
        {
            throw new InfrastructureNotInstalledException($"'{debianPackage}' is not installed.", InstallCommand(debianPackage));
        }

        await Gate.WaitAsync(ct);
        try
        {
            say($"Installing '{debianPackage}' with apt-get (Debian, running as root).");
            if (!s_indexUpdated)
            {
                await RunAptAsync(["update"], say, ct);
                s_indexUpdated = true;
            }
            // Another apt may hold the dpkg lock (unattended upgrades): wait for it rather than fail.
            await RunAptAsync(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", debianPackage], say, ct);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task RunAptAsync(IReadOnlyList<string> arguments, Action<string> say, CancellationToken ct)
    {
        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        var apt = await ExternalCommand.RunAsync(ExecutableSearch.OnPath("apt-get")!, arguments, line => say($"  apt-get: {line}"), environment, cancellationToken: ct);
        if (apt.ExitCode != 0)
        {
            throw new InfrastructureException($"apt-get {string.Join(' ', arguments)} failed with exit code {apt.ExitCode}.", apt.LastLines);
        }
    }

    private static string FedoraName(string debianPackage) => debianPackage == "postgresql" ? "postgresql-server" : debianPackage;

    private static string HomebrewName(string debianPackage) => debianPackage switch
    {
        "postgresql" => "postgresql@15",
        "rabbitmq-server" => "rabbitmq",
        _ => debianPackage,
    };
}
