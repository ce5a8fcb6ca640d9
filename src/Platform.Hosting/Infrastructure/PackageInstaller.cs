namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Installs a missing server from Debian's packages when that is safe to do unattended (Debian, running as root);
/// everywhere else it only names the command to run.
/// </summary>
public static class PackageInstaller
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool s_indexUpdated;

    public static bool IsDebian => File.Exists("/etc/debian_version");

    public static bool CanInstall => IsDebian && Environment.IsPrivilegedProcess && ExecutableSearch.OnPath("apt-get") is not null;

    /// <summary>The command a user should run to install <paramref name="debianPackage"/> (named as Debian names it).</summary>
    public static string InstallCommand(string debianPackage) =>
        Environment.IsPrivilegedProcess ? $"apt-get install -y {debianPackage}" : $"sudo apt-get install -y {debianPackage}";

    /// <summary>Runs apt-get (updating the package index once per process), streaming its output to <paramref name="say"/>.</summary>
    public static async Task InstallAsync(string debianPackage, Action<string> say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        if (!CanInstall)
        {
            throw InfrastructureException.NotInstalled($"'{debianPackage}' is not installed.", InstallCommand(debianPackage));
        }

        await Gate.WaitAsync(cancellationToken);
        try
        {
            say($"Installing '{debianPackage}' with apt-get (Debian, running as root).");
            if (!s_indexUpdated)
            {
                await RunAptAsync(["update"], say, cancellationToken);
                s_indexUpdated = true;
            }
            // Another apt may hold the dpkg lock (unattended upgrades): wait for it rather than fail.
            await RunAptAsync(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", debianPackage], say, cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static Task RunAptAsync(IReadOnlyList<string> arguments, Action<string> say, CancellationToken cancellationToken) =>
        PreparationCommand.RunAsync(
            ExecutableSearch.OnPath("apt-get")!,
            arguments,
            line => say($"  apt-get: {line}"),
            cancellationToken,
            environment: new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" });
}
