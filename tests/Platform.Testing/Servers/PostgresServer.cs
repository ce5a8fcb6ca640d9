using System.Diagnostics;
using Npgsql;
using Platform.Hosting.Infrastructure;
using Platform.Processes;

namespace Platform.Testing.Servers;

/// <summary>
/// A private PostgreSQL cluster run as our child: the postgres binary itself (not pg_ctl, which daemonizes),
/// loopback only, password (SCRAM) authentication with a password generated once and kept beside the cluster.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string SuperUser = PostgresCluster.SuperUser;
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    private readonly PostgresServerOptions options;
    private readonly string password;
    private ChildProcess? process;

    private PostgresServer(PostgresServerOptions options, string password, int port)
    {
        this.options = options;
        this.password = password;
        Port = port;
    }

    public int Port { get; }
    public int ProcessId => this.process?.Id ?? 0;
    public string DataDirectory => Path.GetFullPath(this.options.DataDirectory);
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Server output so far, newest last (the last 30 lines).</summary>
    public IReadOnlyList<string> RecentOutput => this.process?.Tail.Lines ?? [];

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stopwatch = Stopwatch.StartNew();
        var cluster = PostgresCluster.At(options.DataDirectory);
        await cluster.PrepareAsync(options.Output, ct);
        var port = options.Port == 0 ? FreePort.Pick() : options.Port;
        var server = new PostgresServer(options, cluster.Password, port);
        try
        {
            await server.LaunchAsync(cluster, ct);
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
            Password = this.password,
            Database = database,
        }.ConnectionString;

    /// <summary>Creates the database unless it exists; safe to call concurrently for the same name.</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken ct = default) =>
        PostgresDatabases.EnsureExistsAsync(GetConnectionString(), name, ct);

    public async Task<bool> DatabaseExistsAsync(string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(GetConnectionString());
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(name);
        return await exists.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Fast shutdown (SIGINT: disconnects clients, then checkpoints), SIGKILL if it hangs; waits for exit.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (this.process is null)
        {
            return;
        }

        await this.process.StopAsync(ShutdownGrace, UnixSignal.Interrupt, ct);
        await this.process.DisposeAsync();
        this.process = null; // a stopped server has no PID: the number may soon belong to another process
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task LaunchAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var (fileName, arguments) = cluster.ServerCommand(Port);
        this.process = ChildProcess.Start(new ChildProcessStartInfo(fileName, arguments) { Output = this.options.Output, WorkingDirectory = cluster.Root });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(this.options.StartTimeout);
        var probe = new NpgsqlConnectionStringBuilder(GetConnectionString()) { Pooling = false, Timeout = 2 }.ConnectionString;
        while (true)
        {
            if (this.process.HasExited)
            {
                throw new InfrastructureException($"PostgreSQL exited with code {this.process.Exited.Result} before accepting connections on port {Port}.", this.process.Tail.Lines);
            }

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
                throw new InfrastructureException($"PostgreSQL did not accept connections on port {Port} within {this.options.StartTimeout.TotalSeconds:0} s.", this.process.Tail.Lines);
            }
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InfrastructureException($"PostgreSQL did not accept connections on port {Port} within {this.options.StartTimeout.TotalSeconds:0} s.", this.process.Tail.Lines);
            }
        }
    }
}
