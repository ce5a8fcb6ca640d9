using System.Diagnostics;
using Npgsql;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A private PostgreSQL cluster run as our child: the postgres binary itself (not pg_ctl, which daemonizes),
/// loopback only, password (SCRAM) authentication with a password generated once and kept beside the cluster.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private const string SuperUser = "postgres";
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    private readonly PostgresServerOptions _options;
    private readonly string _password;
    private ChildProcess? _process;

    private PostgresServer(PostgresServerOptions options, string password, int port)
    {
        _options = options;
        _password = password;
        Port = port;
    }

    public int Port { get; }
    public int ProcessId => _process?.Id ?? 0;
    public string DataDirectory => Path.GetFullPath(_options.DataDirectory);
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Server output so far, newest last (the last 30 lines).</summary>
    public IReadOnlyList<string> RecentOutput => _process?.Tail.Lines ?? [];

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stopwatch = Stopwatch.StartNew();
        var bin = ExecutableSearch.PostgresBinDirectory()
            ?? throw new InfrastructureNotInstalledException("PostgreSQL server binaries (initdb, postgres) were not found.", PackageInstaller.InstallCommand("postgresql"));

        var root = Path.GetFullPath(options.DataDirectory);
        var layout = new Layout(root);
        Directory.CreateDirectory(root);
        UnixFile.SetMode(root, (UnixFileMode)0b111_001_001); // 0711: the server user may pass through, not list
        ServiceAccount.EnsureTraversable(root);
        var password = GeneratedSecret.LoadOrCreate(layout.PasswordFile);

        if (!File.Exists(Path.Combine(layout.Cluster, "PG_VERSION")))
            await InitializeClusterAsync(bin, layout, password, options.Output, ct);
        await RemoveStalePidFileAsync(layout, options.Output, ct);

        Directory.CreateDirectory(layout.Sockets);
        await ServiceAccount.GiveToAsync(ServiceUser, layout.Sockets, ct);

        var port = options.Port == 0 ? FreePort.Pick() : options.Port;
        var server = new PostgresServer(options, password, port);
        try
        {
            await server.LaunchAsync(bin, layout, ct);
        }
        catch
        {
            await server.StopAsync(CancellationToken.None);
            throw;
        }
        server.StartupTime = stopwatch.Elapsed;
        return server;
    }

    public string GetConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Password = _password,
            Database = database,
        }.ConnectionString;

    /// <summary>Creates the database unless it exists; safe to call concurrently for the same name.</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken ct = default) =>
        PostgresDatabases.EnsureExistsAsync(GetConnectionString(), name, ct);

    public Task<bool> DatabaseExistsAsync(string name, CancellationToken ct = default) =>
        PostgresDatabases.ExistsAsync(GetConnectionString(), name, ct);

    /// <summary>Fast shutdown (SIGINT: disconnects clients, then checkpoints), SIGKILL if it hangs; waits for exit.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_process is null)
            return;
        await _process.StopAsync(ShutdownGrace, UnixSignal.Interrupt, ct);
        await _process.DisposeAsync();
        _process = null; // a stopped server has no PID: the number may soon belong to another process
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task LaunchAsync(string bin, Layout layout, CancellationToken ct)
    {
        string[] arguments =
        [
            "-D", layout.Cluster,
            "-p", Port.ToString(),
            "-c", "listen_addresses=127.0.0.1",
            // A unix socket path longer than the kernel's 107 bytes cannot be bound; TCP is all we use anyway.
            "-k", layout.SocketPathFits(Port) ? layout.Sockets : "",
        ];
        var (fileName, wrapped) = ServiceAccount.Wrap(ServiceUser, Path.Combine(bin, "postgres"), arguments);
        _process = ChildProcess.Start(new ChildProcessStartInfo(fileName, wrapped) { Output = _options.Output, WorkingDirectory = layout.Root });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.StartTimeout);
        var probe = new NpgsqlConnectionStringBuilder(GetConnectionString()) { Pooling = false, Timeout = 2 }.ConnectionString;
        while (true)
        {
            if (_process.HasExited)
                throw new InfrastructureException($"PostgreSQL exited with code {_process.Exited.Result} before accepting connections on port {Port}.", _process.Tail.Lines);
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(timeout.Token);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or PostgresException && !timeout.IsCancellationRequested)
            {
                // 57P03 "the database system is starting up" and connection refused both mean: not yet.
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InfrastructureException($"PostgreSQL did not accept connections on port {Port} within {_options.StartTimeout.TotalSeconds:0} s.", _process.Tail.Lines);
            }
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InfrastructureException($"PostgreSQL did not accept connections on port {Port} within {_options.StartTimeout.TotalSeconds:0} s.", _process.Tail.Lines);
            }
        }
    }

    private static async Task InitializeClusterAsync(string bin, Layout layout, string password, Action<string>? output, CancellationToken ct)
    {
        // A half-written cluster from an interrupted initdb cannot be resumed; initdb needs an empty folder.
        if (Directory.Exists(layout.Cluster))
            Directory.Delete(layout.Cluster, recursive: true);
        Directory.CreateDirectory(layout.Cluster);
        var passwordForInitdb = Path.Combine(layout.Root, "initdb.pwfile");
        await File.WriteAllTextAsync(passwordForInitdb, password, ct);
        try
        {
            await ServiceAccount.GiveToAsync(ServiceUser, layout.Cluster, ct);
            await ServiceAccount.GiveToAsync(ServiceUser, passwordForInitdb, ct);
            var (fileName, arguments) = ServiceAccount.Wrap(ServiceUser, Path.Combine(bin, "initdb"),
            [
                "-D", layout.Cluster, "-U", SuperUser, $"--pwfile={passwordForInitdb}",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
            ]);
            await using var initdb = ChildProcess.Start(new ChildProcessStartInfo(fileName, arguments) { Output = output, WorkingDirectory = layout.Root });
            var exitCode = await initdb.Exited.WaitAsync(ct);
            if (exitCode != 0)
                throw new InfrastructureException($"initdb failed with exit code {exitCode} for '{layout.Cluster}'.", initdb.Tail.Lines);
        }
        finally
        {
            File.Delete(passwordForInitdb);
        }
    }

    /// <summary>
    /// A postmaster.pid left by a crashed run either names a server still running on our cluster
    /// (stop it: it is ours, orphaned) or a dead/reused PID (remove the file so postgres starts).
    /// </summary>
    private static async Task RemoveStalePidFileAsync(Layout layout, Action<string>? output, CancellationToken ct)
    {
        var pidFile = Path.Combine(layout.Cluster, "postmaster.pid");
        if (!File.Exists(pidFile))
            return;
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 0 && int.TryParse(lines[0].Trim(), out var pid) && pid > 1 && IsPostmasterOf(pid, layout.Cluster))
        {
            output?.Invoke($"Stopping PostgreSQL left running by an earlier run (PID {pid}).");
            UnixSignal.Send(pid, UnixSignal.Interrupt);
            var deadline = DateTime.UtcNow + ShutdownGrace;
            while (ProcessTable.IsRunning(pid) && DateTime.UtcNow < deadline)
                await Task.Delay(100, ct);
            if (ProcessTable.IsRunning(pid))
                UnixSignal.Send(pid, UnixSignal.Kill);
            while (ProcessTable.IsRunning(pid))
                await Task.Delay(100, ct);
        }
        if (File.Exists(pidFile))
            File.Delete(pidFile);
    }

    private static bool IsPostmasterOf(int pid, string cluster)
    {
        var commandLine = ProcessTable.CommandLine(pid);
        return commandLine.Count > 0 && Path.GetFileName(commandLine[0]) == "postgres" && commandLine.Contains(cluster);
    }

    private sealed record Layout(string Root)
    {
        public string Cluster => Path.Combine(Root, "pgdata");
        public string Sockets => Path.Combine(Root, "run");
        public string PasswordFile => Path.Combine(Root, "postgres.password");
        public bool SocketPathFits(int port) => Path.Combine(Sockets, $".s.PGSQL.{port}").Length < 100;
    }
}
