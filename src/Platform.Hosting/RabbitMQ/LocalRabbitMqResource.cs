using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.RabbitMQ;

/// <summary>RabbitMQ from the local Debian binaries, run by DCP as an executable; its node lives in the data folder.</summary>
public sealed class LocalRabbitMqResource(string name, RabbitMqNode node)
    : ExecutableResource(name, node.ServerScript, node.Root), IResourceWithConnectionString
{
    internal const string AmqpEndpointName = "tcp";
    internal const string DistributionEndpointName = "distribution";

    public RabbitMqNode Node { get; } = node;

    public EndpointReference PrimaryEndpoint => new(this, AmqpEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{RabbitMqNode.UserName}:{Node.Password}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}/");
}

/// <summary>The node's Erlang port mapper as its own process: the one the VM would daemonize outlives every run.</summary>
public sealed class EpmdResource(string name, RabbitMqNode node)
    : ExecutableResource(name, node.EpmdPath, node.Root)
{
    internal const string EndpointName = "tcp";
}
