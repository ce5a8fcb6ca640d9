using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;

namespace Platform.Clusters.Backends;

/// <summary>
/// Where and as whom a cluster's processes run. Under <c>Clusters:DataDirectory</c> (0711, root's) each cluster has
/// a folder of the service's own (0711: its logs, process record and ready file, all root-only) holding
/// <c>home/</c>, the only place the cluster's account owns (0700: certificate, key, preload, and whatever its
/// tasks write), which its processes see as their working directory, /tmp and /var/tmp.
/// Processes start as that account with no groups, no capabilities and no_new_privs, with /tmp, /var/tmp, /dev/shm
/// and /run/lock private to them, and only the cluster's own environment.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClusterSandbox
{
    private const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";
    public const string PreloadFile = "scheduler_preload.py";
    private const string AccountFile = "account";
    private static readonly string[] Programs = ["/usr/bin/setsid", "/usr/bin/setpriv", "/usr/bin/env", "/usr/bin/unshare", "/usr/bin/mount", ClusterAccounts.UserAdd];

    private readonly ClusterAccounts accounts;
    private readonly ILogger logger;
    private readonly Lock spawning = new();
    private readonly HashSet<int> sessions = [];

    public ClusterSandbox(ClusterIsolation isolation, ClusterAccounts accounts, string root, ILogger logger)
    {
        this.accounts = accounts;
        this.logger = logger;
        Isolation = isolation.Mode == ClusterIsolationMode.Isolated && Prerequisites(root) is { } missing ? isolation.Refuse(missing) : isolation;
        if (Isolation.Mode == ClusterIsolationMode.Isolated)
        {
            File.SetUnixFileMode(root, Traversable);
            File.SetUnixFileMode(Path.Combine(root, "clusters"), Traversable);
            logger.LogInformation("{Isolation} Cluster accounts are named dask-<hash of the user name>.", Isolation.Reason);
        }
        else if (Isolation.Mode == ClusterIsolationMode.Unsafe)
        {
            logger.LogWarning("{Isolation}", Isolation.Reason);
        }
        else
        {
            logger.LogCritical("{Isolation}", Isolation.Reason);
        }
    }

    public ClusterIsolation Isolation { get; }

    public static string Home(string folder) => Path.Combine(folder, "home");

    /// <summary>The account the cluster in <paramref name="folder"/> was prepared for; null in unsafe mode or when unknown.</summary>
    public ClusterAccount? AccountOf(string folder)
    {
        var path = Path.Combine(folder, AccountFile);
        return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } name ? ClusterAccounts.Find(name) : null;
    }

    /// <summary>
    /// Creates the cluster's home with its certificate and key, and gives it to the owner's account (null in unsafe
    /// mode). Everything is written while the folder is still root's, so no link the account plants is followed.
    /// </summary>
    public async Task<ClusterAccount?> PrepareAsync(string owner, string folder, string certificate, string key, string preload, CancellationToken cancellationToken)
    {
        if (Isolation.Mode == ClusterIsolationMode.Refused)
        {
            throw new ClusterStartException(Isolation.Reason);
        }

        var account = Isolation.Mode == ClusterIsolationMode.Isolated ? await accounts.EnsureAsync(owner, cancellationToken) : null;
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, Isolation.Mode == ClusterIsolationMode.Isolated ? Traversable : Private);
        // Root's, beside the home: a stop after a restart still knows whose processes and files to clean up.
        await File.WriteAllTextAsync(Path.Combine(folder, AccountFile), account?.Name ?? "", cancellationToken);
        Directory.CreateDirectory(Path.Combine(folder, "logs"), Private);
        var home = Home(folder);
        if (Directory.Exists(home))
        {
            await RemoveHomeAsync(folder, account);
        }

        Directory.CreateDirectory(home, Private);
        // The preload stays root's: the account may replace it (its folder), which changes only its own scheduler.
        File.Copy(preload, Path.Combine(home, PreloadFile));
        File.SetUnixFileMode(Path.Combine(home, PreloadFile), UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var paths = new List<string>
        {
            WritePrivateFile(Path.Combine(home, CertificateFile), certificate),
            WritePrivateFile(Path.Combine(home, KeyFile), key),
            home,
        };
        if (account is not null)
        {
            foreach (var path in paths)
            {
                ClusterProcess.GiveTo(path, account);
            }
        }

        return account;
    }

    /// <summary>The home as the cluster's processes see it: their private /tmp, or (unsafe) the folder itself.</summary>
    public static string TemporaryDirectory(string folder, ClusterAccount? account) => account is not null ? "/tmp" : Home(folder);

    /// <summary>
    /// The launch of one Dask process of the cluster in <paramref name="folder"/>. It starts in the cluster's home, and
    /// names <see cref="CertificateFile"/>, <see cref="KeyFile"/> and <see cref="PreloadFile"/> relative to it.
    /// </summary>
    public ProcessLaunch Launch(string folder, ClusterAccount? account, string executable, IReadOnlyList<string> arguments, string logName, IReadOnlyDictionary<string, string> environment, string? readyFile = null)
    {
        var home = Home(folder);
        var privateTmp = account is not null;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = TemporaryDirectory(folder, account),
            ["LANG"] = "C.UTF-8",
            ["PYTHONUNBUFFERED"] = "1",
            ["TMPDIR"] = TemporaryDirectory(folder, account),
            ["USER"] = account?.Name ?? Environment.UserName,
        };
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        if (readyFile is not null)
        {
            variables["PLATFORM_CLUSTER_READY_FD"] = "3";
        }

        return new ProcessLaunch(executable, arguments, Path.Combine(folder, "logs", logName + ".log"), home, variables)
        {
            ReadyFile = readyFile,
            Account = account,
            PrivateTmp = privateTmp ? home : null,
        };
    }

    /// <summary>Starts a process and records its session before any sweep can look, so a sweep never takes it for a stray.</summary>
    public ClusterProcess Spawn(ProcessLaunch launch)
    {
        lock (spawning)
        {
            var process = ClusterProcess.Spawn(launch);
            sessions.Add(process.ProcessId);
            return process;
        }
    }

    /// <summary>A process of a cluster taken over after a restart (its PID is its session: setsid started it).</summary>
    public void Adopt(ClusterProcess process)
    {
        lock (spawning)
        {
            sessions.Add(process.ProcessId);
        }
    }

    public void Forget(IEnumerable<ClusterProcess> processes)
    {
        lock (spawning)
        {
            foreach (var process in processes)
            {
                sessions.Remove(process.ProcessId);
            }
        }
    }

    /// <summary>
    /// Kills what the account runs outside every known cluster process's session (<paramref name="recorded"/> adds those
    /// of process records not adopted yet): a task can leave its process group, never its account.
    /// </summary>
    public void KillStrays(ClusterAccount account, IEnumerable<int> recorded)
    {
        lock (spawning)
        {
            var keep = new HashSet<int>(sessions);
            keep.UnionWith(recorded);
            if (ClusterProcess.KillStrays(account.UserId, keep) is > 0 and var killed)
            {
                logger.LogWarning("Killed {Count} stray processes of cluster account {Account}", killed, account.Name);
            }
        }
    }

    /// <summary>
    /// Deletes the cluster's home. Under isolation the deleting runs as the account itself, so a link swapped in by
    /// another of the user's clusters cannot make the service delete anything the account could not.
    /// </summary>
    public async Task RemoveHomeAsync(string folder, ClusterAccount? account)
    {
        var home = Home(folder);
        if (!Directory.Exists(home))
        {
            return;
        }

        if (account is null)
        {
            if (Isolation.Mode == ClusterIsolationMode.Isolated)
            {
                // Deleting as root what an unknown account owns could follow a link it swapped in; leave it.
                logger.LogWarning("Not removing {Home}: its account is unknown", home);
                return;
            }

            Directory.Delete(home, recursive: true);
            return;
        }

        var start = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in new[] { $"--reuid={account.UserId.ToString(CultureInfo.InvariantCulture)}", $"--regid={account.GroupId.ToString(CultureInfo.InvariantCulture)}", "--clear-groups", "--no-new-privs", "--", "/bin/rm", "-rf", "--one-file-system", "--", home })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        using (var remove = Process.Start(start) ?? throw new InvalidOperationException("Could not start setpriv."))
        {
            // rm cannot remove home itself (its parent is root's); everything inside goes.
            await remove.StandardError.ReadToEndAsync();
            await remove.WaitForExitAsync();
        }

        try
        {
            Directory.Delete(home, recursive: false);
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not remove {Home} ({Error})", home, e.Message);
        }
    }

    // Isolation needs these programs and a data folder every account can pass through (not list) to its home.
    private static string? Prerequisites(string root)
    {
        if (Programs.FirstOrDefault(p => !File.Exists(p)) is { } program)
        {
            return $"{program} is missing; on Debian install util-linux, mount and passwd";
        }

        for (var current = new DirectoryInfo(root).Parent; current is not null; current = current.Parent)
        {
            if ((File.GetUnixFileMode(current.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return $"cluster accounts cannot pass through '{current.FullName}' to reach '{root}'; run chmod o+x '{current.FullName}' or choose another Clusters:DataDirectory";
            }
        }

        using var probe = Process.Start(new ProcessStartInfo("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/true"]) { UseShellExecute = false, RedirectStandardError = true });
        probe?.StandardError.ReadToEnd();
        probe?.WaitForExit();
        return probe is { ExitCode: 0 } ? null : "unshare --mount fails here, so clusters cannot have a private /tmp (the service needs CAP_SYS_ADMIN)";
    }

    private static string WritePrivateFile(string path, string content)
    {
        File.Delete(path);
        using (File.Create(path, 1, FileOptions.None))
        {
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, content);
        return path;
    }
}
