using Aspire.Hosting;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.ObjectStore;

/// <summary>
/// Without s3rver on this machine, the AppHost installs it into the checkout's tools/s3rver with
/// <c>npm ci</c> (its lock file pins every version), as it installs Debian packages with apt-get, and says so.
/// </summary>
public static class S3rverInstallation
{
    /// <summary>The command that runs s3rver, installed first (before DCP starts anything) when it is missing; fails with the command when it cannot.</summary>
    public static IReadOnlyList<string> EnsureInstalled(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (S3rver.Locate() is { } command)
        {
            return command;
        }

        var packageFolder = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "tools", "s3rver"));
        if (!File.Exists(Path.Combine(packageFolder, "package-lock.json")))
        {
            throw new InfrastructureNotInstalledException($"No S3 server: s3rver is not installed, and {packageFolder} has no package-lock.json.", S3rver.InstallCommand);
        }

        InfrastructureChoice.EnsureInstalled(builder, "npm (it installs s3rver)", "npm", () => ExecutableSearch.OnPath("npm") is not null);
        Console.WriteLine($"No S3 server (s3rver) is installed: installing it into {packageFolder} (npm ci).");
        InstallAsync(packageFolder, Console.WriteLine).GetAwaiter().GetResult();
        return S3rver.Locate() ?? throw new InfrastructureNotInstalledException($"s3rver is still missing after npm ci in {packageFolder}.", S3rver.InstallCommand);
    }

    /// <summary>Runs <c>npm ci</c> in <paramref name="packageFolder"/>, streaming its output to <paramref name="say"/>.</summary>
    public static async Task InstallAsync(string packageFolder, Action<string> say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var npm = ExecutableSearch.OnPath("npm") ?? throw new InfrastructureNotInstalledException("npm is not installed.", PackageInstaller.InstallCommand("npm"));
        var install = await ExternalCommand.RunAsync(
            npm, ["ci", "--prefix", packageFolder, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], line => say($"  npm: {line}"), cancellationToken: cancellationToken);
        if (install.ExitCode != 0 || !File.Exists(Path.Combine(packageFolder, "node_modules", "s3rver", "bin", "s3rver.js")))
        {
            throw new InfrastructureException($"npm ci --prefix {packageFolder} failed with exit code {install.ExitCode}.", install.LastLines);
        }
    }
}
