using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Infrastructure;
using RabbitMQ.Client;

namespace Platform.Hosting.RabbitMQ;

public static class RabbitMqResourceExtensions
{
    /// <summary>
    /// RabbitMQ whatever runs it: a configured <c>ConnectionStrings:&lt;name&gt;</c>, else Aspire's container where a
    /// container runtime answers (and when publishing), else the local Debian binaries run by DCP with their own epmd.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddMessageBroker(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (InfrastructureChoice.IsConfigured(builder, name))
        {
            return builder.AddConnectionString(name);
        }

        if (InfrastructureChoice.UseContainer(builder))
        {
            return builder.AddRabbitMQ(name).WithDataVolume();
        }

        PackageInstaller.EnsureInstalled(builder, "RabbitMQ", "rabbitmq-server", () => ExecutableSearch.RabbitMqServerScript() is not null && ExecutableSearch.OnPath("epmd") is not null);
        var node = RabbitMqNode.At(Path.Combine(InfrastructureChoice.DataDirectory(builder), name));
        var (amqpPort, distributionPort, epmdPort) = (FreePort.Pick(), FreePort.Pick(), FreePort.Pick());

        // Healthy once epmd answers its NAMES request (length 1, 'n'): an answer, not only an accepted connection.
        var epmdHealthCheck = $"{name}-epmd_answers";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdHealthCheck, async cancellationToken =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, epmdPort, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
            await stream.ReadExactlyAsync(new byte[4], cancellationToken);
            return HealthCheckResult.Healthy();
        });
        // The node's Erlang port mapper as its own process: the one the VM would daemonize outlives every run. Not
        // behind DCP's proxy either: the node registers with epmd over a long-lived connection that must reach it directly.
        var epmd = builder.AddExecutable($"{name}-epmd", node.EpmdPath, node.Root, [.. RabbitMqNode.EpmdArguments(epmdPort)])
            .WithEndpoint(port: epmdPort, scheme: "tcp", name: "tcp", isProxied: false)
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithHealthCheck(epmdHealthCheck)
            .ExcludeFromManifest();

        var server = new LocalServerResource(name, node.ServerScript, node.Root, "tcp", amqpPort, endpoint => ReferenceExpression.Create(
            $"amqp://{RabbitMqNode.UserName}:{node.Password}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/"));
        // Healthy once the broker completes an AMQP connection (it listens before it accepts), as Aspire's own
        // RabbitMQ resource checks it; the connection is kept for the next checks.
        var brokerHealthCheck = $"{name}_answers";
        IConnection? connection = null;
        builder.Services.AddHealthChecks().AddRabbitMQ(
            async _ => connection ??= await new ConnectionFactory { Uri = new Uri(node.ConnectionString("127.0.0.1", amqpPort)) }.CreateConnectionAsync(),
            brokerHealthCheck,
            timeout: TimeSpan.FromSeconds(5));
        var broker = builder.AddLocalServer(server, [])
            .WithEndpoint(port: distributionPort, scheme: "tcp", name: "distribution", isProxied: false)
            .WithHealthCheck(brokerHealthCheck)
            .WithParentRelationship(epmd)
            .WaitFor(epmd)
            .OnBeforeResourceStarted((_, _, cancellationToken) => node.PrepareAsync(cancellationToken));
        foreach (var (key, value) in node.BrokerEnvironment(amqpPort, distributionPort, epmdPort))
        {
            broker.WithEnvironment(key, value);
        }

        return broker;
    }
}
