using System.Globalization;

namespace Platform.Hosting.Infrastructure;

/// <summary>Finds server binaries the way a shell would, plus the versioned folders Debian installs into.</summary>
public static class ExecutableSearch
{
    public static string? OnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        var directories = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The newest PostgreSQL bin folder Debian installs, /usr/lib/postgresql/&lt;version&gt;/bin.</summary>
    public static string? PostgresBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.EnumerateDirectories(debianRoot)
                .Where(d => int.TryParse(Path.GetFileName(d), out _))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(bin => IsExecutable(Path.Combine(bin, "postgres")) && IsExecutable(Path.Combine(bin, "initdb")))
            : null;
    }

    /// <summary>The broker start script that execs the Erlang VM in place (not the /usr/sbin wrapper that switches user).</summary>
    public static string? RabbitMqServerScript()
    {
        const string debianScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
        return IsExecutable(debianScript) ? debianScript : OnPath("rabbitmq-server");
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (UnixFile.GetMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
