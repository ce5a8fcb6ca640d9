using Aspire.Hosting;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.ObjectStore;

/// <summary>
/// With neither minio nor s3rver on this machine, the AppHost installs s3rver into the checkout's tools/s3rver with
/// <c>npm ci</c> (its lock file pins every version), as it installs Debian packages with apt-get, and says so.
/// </summary>
public static class S3rverInstallation
{
    /// <summary>Installs s3rver before DCP starts anything when no S3 server is there; fails with the command when it cannot.</summary>
    public static void EnsureInstalled(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (ExecutableSearch.OnPath("minio") is not null || S3rver.Locate() is not null)
        {
            return;
        }

        var packageFolder = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "tools", "s3rver"));
        if (!File.Exists(Path.Combine(packageFolder, "package-lock.json")))
        {
            throw new InfrastructureNotInstalledException($"No S3 server: neither minio nor s3rver is installed, and {packageFolder} has no package-lock.json.", S3rver.InstallCommand);
        }

        InfrastructureChoice.EnsureInstalled(builder, "npm (it installs s3rver)", "npm", () => ExecutableSearch.OnPath("npm") is not null);
        Console.WriteLine($"No S3 server (minio or s3rver) is installed: installing s3rver into {packageFolder} (npm ci).");
        InstallAsync(packageFolder, Console.WriteLine).GetAwaiter().GetResult();
    }

    /// <summary>Runs <c>npm ci</c> in <paramref name="packageFolder"/>, streaming its output to <paramref name="say"/>.</summary>
    public static async Task InstallAsync(string packageFolder, Action<string> say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var npm = ExecutableSearch.OnPath("npm") ?? throw new InfrastructureNotInstalledException("npm is not installed.", PackageInstaller.InstallCommand("npm"));
        await using var install = ChildProcess.Start(new ChildProcessStartInfo(npm, ["ci", "--prefix", packageFolder, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"])
        {
            Output = line => say($"  npm: {line}"),
        });
        var exitCode = await install.Exited.WaitAsync(cancellationToken);
        if (exitCode != 0 || !File.Exists(Path.Combine(packageFolder, "node_modules", "s3rver", "bin", "s3rver.js")))
        {
            throw new InfrastructureException($"npm ci --prefix {packageFolder} failed with exit code {exitCode}.", install.Tail.Lines);
        }
    }
}
