using Aspire.Hosting;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Servers that refuse to run as root (PostgreSQL) run as their own system user when we are root.
/// setpriv changes user and execs without forking, so the PID we hold stays the server's.
/// </summary>
internal static class ServiceAccount
{
    public static (string FileName, IReadOnlyList<string> Arguments) Wrap(string user, string fileName, IEnumerable<string> arguments)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return (fileName, [.. arguments]);
        }

        var setpriv = ExecutableSearch.OnPath("setpriv")
            ?? throw PackageInstaller.NotInstalled("setpriv is needed to run servers as their own user.", "apt-get install -y util-linux");
        return (setpriv, [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", fileName, .. arguments]);
    }

    public static async Task GiveToAsync(string user, string path, CancellationToken ct)
    {
        if (Environment.IsPrivilegedProcess)
        {
            await PreparationCommand.RunAsync(ExecutableSearch.OnPath("chown") ?? "/bin/chown", ["-R", $"{user}:{user}", path], null, ct);
        }
    }

    /// <summary>A server running as another user must be able to walk down to its data folder.</summary>
    public static void EnsureTraversable(string directory)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return;
        }

        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            if ((UnixFile.GetMode(current.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                throw new DistributedApplicationException(
                    $"'{current.FullName}' is not searchable by other users, so the server's own user cannot reach '{directory}'. "
                    + $"Run: chmod o+x '{current.FullName}', or choose a data folder elsewhere.");
            }
        }
    }
}
