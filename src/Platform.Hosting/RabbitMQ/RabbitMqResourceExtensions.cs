using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Infrastructure;

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

        InfrastructureChoice.EnsureInstalled(builder, "RabbitMQ", "rabbitmq-server", () => ExecutableSearch.RabbitMqServerScript() is not null && ExecutableSearch.Epmd() is not null);
        var node = RabbitMqNode.At(Path.Combine(InfrastructureChoice.DataDirectory(builder), name));
        var epmd = new EpmdResource($"{name}-epmd", node);
        // Not behind DCP's proxy: the node registers with epmd over a long-lived connection that must reach it directly,
        // and DCP fills in only a resource's own target ports, so the port is chosen here.
        var epmdBuilder = builder.AddResource(epmd)
            .WithEndpoint(port: FreePort.Pick(), scheme: "tcp", name: EpmdResource.EndpointName, isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("-port");
                context.Args.Add(epmd.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-address");
                context.Args.Add("127.0.0.1");
            })
            .WithEnvironment(context => context.EnvironmentVariables["ERL_EPMD_ADDRESS"] = "127.0.0.1")
            .WithHealthCheck(RegisterHealthCheck(builder, epmd.Name, epmd.PrimaryEndpoint, amqp: false))
            .ExcludeFromManifest();

        var broker = new LocalRabbitMqResource(name, node);
        return builder.AddResource(broker)
            // Not behind DCP's proxy either (see the PostgreSQL resource): a restarted node is reached directly.
            .WithEndpoint(port: FreePort.Pick(), scheme: "tcp", name: LocalRabbitMqResource.AmqpEndpointName, isProxied: false)
            .WithEndpoint(port: FreePort.Pick(), scheme: "tcp", name: LocalRabbitMqResource.DistributionEndpointName, isProxied: false)
            .WithEnvironment(context =>
            {
                var ports = (
                    Amqp: broker.PrimaryEndpoint.Property(EndpointProperty.TargetPort),
                    Distribution: broker.GetEndpoint(LocalRabbitMqResource.DistributionEndpointName).Property(EndpointProperty.TargetPort),
                    Epmd: epmd.PrimaryEndpoint.Property(EndpointProperty.Port));
                const string Amqp = "<amqp>", Distribution = "<distribution>", Epmd = "<epmd>";
                foreach (var (key, value) in node.BrokerEnvironment(Amqp, Distribution, Epmd))
                {
                    context.EnvironmentVariables[key] = value switch
                    {
                        Amqp => ports.Amqp,
                        Distribution => ports.Distribution,
                        Epmd => ports.Epmd,
                        _ => value,
                    };
                }
            })
            .WithHealthCheck(RegisterHealthCheck(builder, name, broker.PrimaryEndpoint, amqp: true))
            .WithParentRelationship(epmdBuilder)
            .WaitFor(epmdBuilder)
            .OnBeforeResourceStarted((_, _, cancellationToken) => node.PrepareAsync(cancellationToken))
            .ExcludeFromManifest();
    }

    /// <summary>epmd's NAMES request (length 1, 'n'): an answer, not only an accepted connection.</summary>
    private static async Task<bool> AnswersNamesRequestAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 0, 1, (byte)'n' }, cancellationToken);
        var answer = new byte[4];
        await stream.ReadExactlyAsync(answer, cancellationToken);
        return true;
    }

    /// <summary>Healthy once the broker answers the AMQP handshake (it listens before it accepts), or epmd its NAMES request.</summary>
    private static string RegisterHealthCheck(IDistributedApplicationBuilder builder, string resourceName, EndpointReference endpoint, bool amqp)
    {
        var key = $"{resourceName}_answers";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new ProbeHealthCheck(async cancellationToken =>
        {
            var answers = amqp
                ? await AmqpProbe.AnswersAsync("127.0.0.1", endpoint.Port, cancellationToken)
                : await AnswersNamesRequestAsync(endpoint.Port, cancellationToken);
            return answers ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"nothing answers on port {endpoint.Port}");
        }), failureStatus: null, tags: null));
        return key;
    }
}
