using MassTransit;
using Platform.Contracts.Clusters;
using Platform.Proxy.Routing;

namespace Platform.Proxy.IntegrationEvents.EventHandling;

/// <summary>A running cluster becomes reachable: its SNI and dashboard routes are added (again, if redelivered).</summary>
public sealed class ClusterRunningHandler(RouteTable routes, ILogger<ClusterRunningHandler> logger) : IConsumer<ClusterRunning>
{
    public Task Consume(ConsumeContext<ClusterRunning> context)
    {
        var message = context.Message;
        var route = ClusterRoute.TryCreate(message.ClusterName, message.Owner, message.SchedulerAddress, message.DashboardAddress);
        if (route is null)
        {
            logger.LogWarning("Cluster {Cluster} reported an unusable scheduler address {Address}", message.ClusterName, message.SchedulerAddress);
        }
        else if (routes.Add(route, message.StartedAt))
        {
            logger.LogInformation("Route added for cluster {Cluster} → {Host}:{Port}", route.Name, route.SchedulerHost, route.SchedulerPort);
        }

        return Task.CompletedTask;
    }
}
