using System.Globalization;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// The npm package <c>s3rver</c>, a real S3 HTTP server (signature v4, path-style, multipart) for machines with no
/// MinIO binary: found on PATH or installed into the repository's <c>tools/s3rver</c> by <c>npm ci</c> (its lock file
/// pins every version), which test.sh runs, and the AppHost too when s3rver is missing.
/// </summary>
public static class S3rver
{
    /// <summary>s3rver accepts only its own fixed key pair; it binds 127.0.0.1, so the pair guards nothing.</summary>
    public const string AccessKey = "S3RVER";

    public const string SecretKey = "S3RVER";

    public const string InstallCommand = "npm ci --prefix tools/s3rver";

    private static readonly string ScriptInPackage = Path.Combine("tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");

    /// <summary>The command that runs s3rver (its own launcher, or node with the installed script), or null when it is not installed.</summary>
    public static IReadOnlyList<string>? Locate()
    {
        if (ExecutableSearch.OnPath("s3rver") is { } onPath)
        {
            return [onPath];
        }

        if (ExecutableSearch.OnPath("node") is not { } node)
        {
            return null;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var script = Path.Combine(directory.FullName, ScriptInPackage);
                if (File.Exists(script))
                {
                    return [node, script];
                }
            }
        }

        return null;
    }

    /// <summary>s3rver's arguments after its command: the data folder, a loopback port and one path-style bucket.</summary>
    public static IReadOnlyList<string> Arguments(string dataDirectory, int port, string bucket)
    {
        Directory.CreateDirectory(dataDirectory);
        return
        [
            "--directory", dataDirectory,
            "--address", "127.0.0.1",
            "--port", port.ToString(CultureInfo.InvariantCulture),
            // Path-style only: a bucket name never becomes a host name to resolve.
            "--no-vhost-buckets",
            "--configure-bucket", bucket,
            "--silent",
        ];
    }

    /// <summary>Runs <c>npm ci</c> in <paramref name="packageFolder"/>, streaming its output to <paramref name="say"/>.</summary>
    public static async Task InstallAsync(string packageFolder, Action<string> say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var npm = ExecutableSearch.OnPath("npm") ?? throw PackageInstaller.NotInstalled("npm is not installed.", PackageInstaller.InstallCommand("npm"));
        await PreparationCommand.RunAsync(
            npm, ["ci", "--prefix", packageFolder, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], line => say($"  npm: {line}"), cancellationToken);
    }
}
