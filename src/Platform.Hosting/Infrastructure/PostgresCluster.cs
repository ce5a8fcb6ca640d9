using Platform.Processes;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A private PostgreSQL cluster on disk, made ready to start: initdb with a password generated once and kept beside
/// it, a stale postmaster.pid cleared. Whoever runs the server (DCP
/// for the AppHost, PostgresServer for tests, in Platform.Testing) starts it with <see cref="ServerCommand"/>.
/// </summary>
public sealed class PostgresCluster
{
    public const string SuperUser = "postgres";
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    private PostgresCluster(string root, string binDirectory)
    {
        Root = root;
        BinDirectory = binDirectory;
        Password = GeneratedSecret.LoadOrCreate(Path.Combine(Root, "postgres.password"));
    }

    public string Root { get; }
    public string BinDirectory { get; }
    public string Password { get; }
    public string DataDirectory => Path.Combine(Root, "pgdata");

    /// <summary>Creates the folder and password (not yet the cluster); fails with the install command when PostgreSQL is missing.</summary>
    public static PostgresCluster At(string root)
    {
        var bin = ExecutableSearch.PostgresBinDirectory()
            ?? throw PackageInstaller.NotInstalled("PostgreSQL server binaries (initdb, postgres) were not found.", PackageInstaller.InstallCommand("postgresql"));
        var full = Path.GetFullPath(root);
        Directory.CreateDirectory(full);
        UnixFile.SetMode(full, (UnixFileMode)0b111_001_001); // 0711: the server user may pass through, not list
        return new PostgresCluster(full, bin);
    }

    /// <summary>initdb on first use, then whatever a crashed earlier run left behind is cleared.</summary>
    public async Task PrepareAsync(Action<string>? output, CancellationToken ct)
    {
        ServiceAccount.EnsureTraversable(Root);
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await InitializeAsync(output, ct);
        }

        await RemoveStalePidFileAsync(output, ct);
    }

    /// <summary>
    /// The postgres binary itself (not pg_ctl, which daemonizes), as its own user when we are root: TCP on loopback
    /// only, no Unix socket (clients all use TCP, and a socket path in a deep data folder can exceed the kernel's limit).
    /// </summary>
    public (string FileName, IReadOnlyList<string> Arguments) ServerCommand(int port) =>
        ServiceAccount.Wrap(ServiceUser, Path.Combine(BinDirectory, "postgres"),
        [
            "-D", DataDirectory, "-p", $"{port}", "-c", "listen_addresses=127.0.0.1", "-k", "",
        ]);

    private async Task InitializeAsync(Action<string>? output, CancellationToken ct)
    {
        // A half-written cluster from an interrupted initdb cannot be resumed; initdb needs an empty folder.
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(DataDirectory);
        var passwordForInitdb = Path.Combine(Root, "initdb.pwfile");
        await File.WriteAllTextAsync(passwordForInitdb, Password, ct);
        try
        {
            await ServiceAccount.GiveToAsync(ServiceUser, DataDirectory, ct);
            await ServiceAccount.GiveToAsync(ServiceUser, passwordForInitdb, ct);
            var (fileName, arguments) = ServiceAccount.Wrap(ServiceUser, Path.Combine(BinDirectory, "initdb"),
            [
                "-D", DataDirectory, "-U", SuperUser, $"--pwfile={passwordForInitdb}",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
            ]);
            await PreparationCommand.RunAsync(fileName, arguments, output, ct, workingDirectory: Root);
        }
        finally
        {
            File.Delete(passwordForInitdb);
        }
    }

    /// <summary>
    /// A postmaster.pid left by a crashed run: a server still running on our cluster is ours, orphaned, and is stopped
    /// (SIGINT, SIGKILL after the grace); then the file goes, so the old shared memory key cannot block the start.
    /// </summary>
    private async Task RemoveStalePidFileAsync(Action<string>? output, CancellationToken ct)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 0 && int.TryParse(lines[0].Trim(), out var pid) && pid > 1 && IsPostmasterOf(pid))
        {
            output?.Invoke($"Stopping PostgreSQL left running by an earlier run (PID {pid}).");
            UnixSignal.Send(pid, UnixSignal.Interrupt);
            var deadline = DateTime.UtcNow + ShutdownGrace;
            while (ProcessTable.IsRunning(pid))
            {
                if (DateTime.UtcNow > deadline)
                {
                    UnixSignal.Send(pid, UnixSignal.Kill);
                }

                await Task.Delay(100, ct);
            }
        }

        File.Delete(pidFile);
    }

    private bool IsPostmasterOf(int pid)
    {
        var commandLine = ProcessTable.CommandLine(pid);
        return commandLine.Count > 0 && Path.GetFileName(commandLine[0]) == "postgres" && commandLine.Contains(DataDirectory);
    }
}
