using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Model;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Apis;

/// <summary>
/// The Proxy's view of the world: every RUNNING cluster's scheduler and dashboard addresses, so it can rebuild its
/// route table after a restart or missed events. Only for callers presenting the shared proxy token
/// (<c>Proxy:Token</c>); with no token configured nobody gets in.
/// </summary>
public static class InternalRoutesApi
{
    public static IEndpointRouteBuilder MapInternalRoutesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/routes", GetRoutesAsync).RequireProxyToken();
        return app;
    }

    public static async Task<Ok<ClusterRoutesSnapshot>> GetRoutesAsync(ClusterStore store, CancellationToken cancellationToken)
    {
        var running = await store.ListAsync(owner: null, [ClusterState.Running], cancellationToken);
        var routes = running
            .Where(c => c.SchedulerAddress is not null)
            .Select(c => new ClusterRouteRecord(c.Name, c.Owner, c.SchedulerAddress!, c.DashboardAddress))
            .ToList();
        return TypedResults.Ok(new ClusterRoutesSnapshot(routes));
    }
}
