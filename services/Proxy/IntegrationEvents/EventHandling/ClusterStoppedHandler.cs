using MassTransit;
using Platform.Contracts.Clusters;
using Platform.Proxy.Routing;

namespace Platform.Proxy.IntegrationEvents.EventHandling;

/// <summary>A stopped cluster's routes are removed; removing an absent route does nothing.</summary>
public sealed class ClusterStoppedHandler(RouteTable routes, ILogger<ClusterStoppedHandler> logger) : IConsumer<ClusterStopped>
{
    public Task Consume(ConsumeContext<ClusterStopped> context)
    {
        if (routes.Remove(context.Message.ClusterName, context.Message.StoppedAt))
        {
            logger.LogInformation("Route removed for stopped cluster {Cluster}", context.Message.ClusterName);
        }

        return Task.CompletedTask;
    }
}
