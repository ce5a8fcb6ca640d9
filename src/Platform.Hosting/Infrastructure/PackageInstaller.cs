using Aspire.Hosting;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Installs a missing server from Debian's packages when that is safe to do unattended (Debian, running as root);
/// everywhere else it only names the command to run.
/// </summary>
public static class PackageInstaller
{
    private static bool s_indexUpdated;

    /// <summary>The command a user should run to install <paramref name="debianPackage"/> (named as Debian names it).</summary>
    public static string InstallCommand(string debianPackage) =>
        Environment.IsPrivilegedProcess ? $"apt-get install -y {debianPackage}" : $"sudo apt-get install -y {debianPackage}";

    /// <summary>A server binary is missing: the message ends with the command that installs it.</summary>
    public static DistributedApplicationException NotInstalled(string message, string installCommand) =>
        new($"{message} Install it with: {installCommand}");

    /// <summary>
    /// Installs the Debian package with apt-get (updating the package index once per process) when that is safe, saying
    /// so on the console; fails with the command otherwise. Called while the model is built, before DCP starts
    /// anything, so installs never run concurrently.
    /// </summary>
    public static void EnsureInstalled(IDistributedApplicationBuilder builder, string what, string debianPackage, Func<bool> isInstalled)
    {
        if (builder.ExecutionContext.IsPublishMode || isInstalled())
        {
            return;
        }

        if (!File.Exists("/etc/debian_version") || !Environment.IsPrivilegedProcess || ExecutableSearch.OnPath("apt-get") is null)
        {
            throw NotInstalled($"{what} is not installed and no container runtime answers.", InstallCommand(debianPackage));
        }

        Console.WriteLine($"{what} is not installed: installing the Debian package '{debianPackage}' with apt-get (running as root on Debian).");
        if (!s_indexUpdated)
        {
            RunApt(["update"]);
            s_indexUpdated = true;
        }

        // Another apt may hold the dpkg lock (unattended upgrades): wait for it rather than fail.
        RunApt(["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", debianPackage]);
        if (!isInstalled())
        {
            throw NotInstalled($"{what} is still missing after installing '{debianPackage}'.", InstallCommand(debianPackage));
        }
    }

    private static void RunApt(IReadOnlyList<string> arguments) =>
        PreparationCommand.RunAsync(
            ExecutableSearch.OnPath("apt-get")!,
            arguments,
            line => Console.WriteLine($"  apt-get: {line}"),
            CancellationToken.None,
            environment: new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }).GetAwaiter().GetResult();
}
