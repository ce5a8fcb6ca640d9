using Aspire.Hosting;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Installs a missing server from Debian's packages when that is safe to do unattended (Debian, running as root);
/// everywhere else it only names the command to run.
/// </summary>
public static class PackageInstaller
{
    private static bool s_indexUpdated;

    public static bool CanInstall =>
        File.Exists("/etc/debian_version") && Environment.IsPrivilegedProcess && ExecutableSearch.OnPath("apt-get") is not null;

    /// <summary>The command a user should run to install <paramref name="debianPackage"/> (named as Debian names it).</summary>
    public static string InstallCommand(string debianPackage) =>
        Environment.IsPrivilegedProcess ? $"apt-get install -y {debianPackage}" : $"sudo apt-get install -y {debianPackage}";

    /// <summary>A server binary is missing: the message ends with the command that installs it.</summary>
    public static DistributedApplicationException NotInstalled(string message, string installCommand) =>
        new($"{message} Install it with: {installCommand}");

    /// <summary>
    /// Runs apt-get (updating the package index once per process), streaming its output to <paramref name="say"/>.
    /// Called while the model is built, before DCP starts anything, so installs never run concurrently.
    /// </summary>
    public static void Install(string debianPackage, Action<string> say)
    {
        if (!s_indexUpdated)
        {
            RunApt(["update"], say);
            s_indexUpdated = true;
        }

        // Another apt may hold the dpkg lock (unattended upgrades): wait for it rather than fail.
        RunApt(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", debianPackage], say);
    }

    private static void RunApt(IReadOnlyList<string> arguments, Action<string> say) =>
        PreparationCommand.RunAsync(
            ExecutableSearch.OnPath("apt-get")!,
            arguments,
            line => say($"  apt-get: {line}"),
            CancellationToken.None,
            environment: new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }).GetAwaiter().GetResult();
}
