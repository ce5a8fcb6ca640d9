using Npgsql;
using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Testing.Tests;

public sealed class PostgresServerTests : IDisposable
{
    private readonly TestDirectory directory = new("postgres");

    [Fact]
    public async Task Started_server_accepts_password_connections_on_loopback()
    {
        await using var server = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));

        await using var connection = new NpgsqlConnection(server.GetConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT inet_server_addr()::text, current_setting('password_encryption')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("127.0.0.1/32", reader.GetString(0));
        Assert.Equal("scram-sha-256", reader.GetString(1));
    }

    [Fact]
    public async Task Wrong_password_is_refused()
    {
        await using var server = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));
        var wrong = new NpgsqlConnectionStringBuilder(server.GetConnectionString()) { Password = "not-the-password" };

        await using var connection = new NpgsqlConnection(wrong.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Creating_a_database_is_idempotent_and_the_database_is_usable()
    {
        await using var server = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));

        await Task.WhenAll(server.CreateDatabaseAsync("authdb"), server.CreateDatabaseAsync("authdb"));
        await server.CreateDatabaseAsync("authdb");

        await using var connection = new NpgsqlConnection(server.GetConnectionString("authdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal("authdb", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Stopping_the_server_leaves_no_process_behind()
    {
        var server = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));
        var postmaster = server.ProcessId;
        var backends = ProcessTable.Descendants(postmaster);
        Assert.NotEmpty(backends); // checkpointer, walwriter, ...: the test would prove nothing without them

        await server.StopAsync();

        Assert.False(ProcessTable.IsRunning(postmaster));
        Assert.All(backends, pid => Assert.False(ProcessTable.IsRunning(pid), $"PID {pid} is still running"));
    }

    [Fact]
    public async Task A_restart_on_the_same_data_keeps_databases_and_password()
    {
        string firstConnectionString;
        await using (var first = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path)))
        {
            await first.CreateDatabaseAsync("kept");
            firstConnectionString = first.GetConnectionString("kept");
        }

        await using var second = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));

        Assert.True(await second.DatabaseExistsAsync("kept"));
        var password = new NpgsqlConnectionStringBuilder(firstConnectionString).Password;
        Assert.Equal(password, new NpgsqlConnectionStringBuilder(second.GetConnectionString()).Password);
    }

    [Fact]
    public async Task A_server_killed_without_cleanup_does_not_block_the_next_start()
    {
        var crashed = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path));
        var port = crashed.Port;
        UnixSignal.Send(crashed.ProcessId, UnixSignal.Kill);
        await WaitUntilGoneAsync(crashed.ProcessId);
        Assert.True(File.Exists(Path.Combine(directory.Path, "pgdata", "postmaster.pid")));

        await using var next = await PostgresServer.StartAsync(new PostgresServerOptions(directory.Path) { Port = port });

        await using var connection = new NpgsqlConnection(next.GetConnectionString());
        await connection.OpenAsync();
        await crashed.StopAsync();
    }

    [Fact]
    public async Task A_port_already_taken_is_reported_with_the_server_output()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<InfrastructureException>(
            () => PostgresServer.StartAsync(new PostgresServerOptions(directory.Path) { Port = port }));

        Assert.Contains(port.ToString(), error.Message);
        Assert.Contains(error.RecentOutput, line => line.Contains("could not bind", StringComparison.OrdinalIgnoreCase));
    }

    public void Dispose() => directory.Dispose();

    private static async Task WaitUntilGoneAsync(int pid)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (ProcessTable.IsRunning(pid))
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
