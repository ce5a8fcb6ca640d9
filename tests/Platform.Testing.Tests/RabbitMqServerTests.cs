using Platform.Hosting.Infrastructure;
using Platform.Processes;
using Platform.Testing;
using Platform.Testing.Servers;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Testing.Tests;

public sealed class RabbitMqServerTests : IDisposable
{
    private readonly TestDirectory directory = new("rabbitmq");

    [Fact]
    public async Task Started_broker_accepts_clients_with_the_generated_credentials_only()
    {
        await using var server = await StartAsync();

        await using (var connection = await Connect(server.ConnectionString))
        {
            Assert.True(connection.IsOpen);
        }

        var wrong = new Uri(server.ConnectionString.Replace(server.Password, "wrong", StringComparison.Ordinal));
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => new ConnectionFactory { Uri = wrong }.CreateConnectionAsync());
    }

    [Fact]
    public async Task Stopping_the_broker_leaves_no_process_behind()
    {
        var server = await StartAsync();
        var beam = server.ProcessId;
        var epmd = server.EpmdProcessId;
        var vmChildren = ProcessTable.Descendants(beam);
        Assert.Contains("beam", File.ReadAllText($"/proc/{beam}/comm"), StringComparison.Ordinal);
        Assert.Contains(vmChildren, pid => File.ReadAllText($"/proc/{pid}/comm").StartsWith("erl_child_setup", StringComparison.Ordinal));

        await server.StopAsync();

        Assert.False(ProcessTable.IsRunning(beam), $"beam.smp {beam} is still running");
        Assert.False(ProcessTable.IsRunning(epmd), $"epmd {epmd} is still running");
        Assert.All(vmChildren, pid => Assert.False(ProcessTable.IsRunning(pid), $"PID {pid} is still running"));
        Assert.False(await ListeningSockets.AcceptsConnectionsAsync(server.Port));
    }

    [Fact]
    public async Task A_broker_started_again_is_reachable_on_the_same_port_with_its_data()
    {
        await using var server = await StartAsync();
        var port = server.Port;
        await using (var connection = await Connect(server.ConnectionString))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("kept-across-restarts", durable: true, exclusive: false, autoDelete: false);
        }

        await server.StopAsync();
        Assert.False(await AmqpProbe.AnswersAsync("127.0.0.1", port));
        await server.StartAgainAsync();

        Assert.Equal(port, server.Port);
        await using var again = await Connect(server.ConnectionString);
        await using var check = await again.CreateChannelAsync();
        var queue = await check.QueueDeclarePassiveAsync("kept-across-restarts");
        Assert.Equal("kept-across-restarts", queue.QueueName);
    }

    [Fact]
    public async Task Every_listener_of_the_node_is_bound_to_loopback()
    {
        await using var server = await StartAsync();
        var pids = new[] { server.ProcessId, server.EpmdProcessId }.Concat(ProcessTable.Descendants(server.ProcessId)).ToHashSet();

        var listeners = ListeningSockets.OwnedBy(pids);

        Assert.Contains(listeners, l => l.Port == server.Port);
        Assert.True(listeners.Count >= 3, $"expected AMQP, epmd and distribution listeners, found {listeners.Count}");
        Assert.All(listeners, l => Assert.True(System.Net.IPAddress.IsLoopback(l.Address), $"{l.Address}:{l.Port} is not loopback"));
    }

    public void Dispose() => directory.Dispose();

    private Task<RabbitMqServer> StartAsync() => RabbitMqServer.StartAsync(new RabbitMqServerOptions(directory.Path));

    private static Task<IConnection> Connect(string connectionString) =>
        new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync();
}
