using MassTransit;
using Platform.Contracts.Clusters;
using Platform.Proxy.Routing;

namespace Platform.Proxy.IntegrationEvents.EventHandling;

/// <summary>A failed cluster's routes are removed; removing an absent route does nothing.</summary>
public sealed class ClusterFailedHandler(RouteTable routes, ILogger<ClusterFailedHandler> logger) : IConsumer<ClusterFailed>
{
    public Task Consume(ConsumeContext<ClusterFailed> context)
    {
        if (routes.Remove(context.Message.ClusterName, context.Message.FailedAt))
        {
            logger.LogInformation("Route removed for failed cluster {Cluster}", context.Message.ClusterName);
        }

        return Task.CompletedTask;
    }
}
