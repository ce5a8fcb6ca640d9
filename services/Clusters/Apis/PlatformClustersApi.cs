using Microsoft.AspNetCore.Http.HttpResults;
using Platform.ServiceDefaults.Errors;

namespace Platform.Clusters.Apis;

/// <summary>
/// Platform data about a cluster that dask-gateway's JSON has no room for: owner, workers, addresses, failure
/// reason, timeline, processes and logs. Under <c>/api/platform/</c> so it can never collide with dask-gateway's paths.
/// </summary>
public static class PlatformClustersApi
{
    private const int MaxLogLines = 10_000;

    public static IEndpointRouteBuilder MapPlatformClustersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/platform/clusters").RequireAuthorization();
        api.MapGet("/{name}", GetClusterDetailsAsync);
        api.MapGet("/{name}/logs/{log}", GetClusterLogAsync);
        return app;
    }

    public static async Task<Results<Ok<ClusterDetails>, JsonHttpResult<ErrorBody>>> GetClusterDetailsAsync(
        HttpContext context, [AsParameters] ClusterServices services, string name, CancellationToken cancellationToken)
    {
        var (cluster, error) = await ClustersApi.FindOwnAsync(context, services, name, cancellationToken);
        if (cluster is null)
        {
            return error!;
        }

        var timeline = await services.Store.TimelineAsync(name, cancellationToken);
        return TypedResults.Ok(ClusterDetails.From(cluster, timeline, services.Backend.Describe(name), services.Backend.LogNames(name)));
    }

    /// <summary>The tail (<c>?lines=</c>, default 200) of the scheduler's or a worker's log, as text.</summary>
    public static async Task<Results<ContentHttpResult, JsonHttpResult<ErrorBody>>> GetClusterLogAsync(
        HttpContext context, [AsParameters] ClusterServices services, string name, string log, int? lines, CancellationToken cancellationToken)
    {
        var (cluster, error) = await ClustersApi.FindOwnAsync(context, services, name, cancellationToken);
        if (cluster is null)
        {
            return error!;
        }

        var text = await services.Backend.ReadLogAsync(name, log, Math.Clamp(lines ?? 200, 1, MaxLogLines), cancellationToken);
        return text is null
            ? ClustersApi.Error(StatusCodes.Status404NotFound, $"Cluster {name} has no log named {log}")
            : TypedResults.Text(text, "text/plain; charset=utf-8");
    }
}
