using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Model;
using Platform.ServiceDefaults.Errors;

namespace Platform.Clusters.Apis;

/// <summary>
/// The Proxy's view of the world: every RUNNING cluster's scheduler and dashboard addresses, so it can rebuild its
/// route table after a restart or missed events. Only for callers presenting the shared proxy token
/// (<c>Proxy:Token</c>); with no token configured nobody gets in.
/// </summary>
public static class InternalRoutesApi
{
    public const string TokenHeader = "X-Proxy-Token";

    public static IEndpointRouteBuilder MapInternalRoutesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/routes", GetRoutesAsync).AllowAnonymous();
        return app;
    }

    public static async Task<Results<Ok<ClusterRoutesSnapshot>, JsonHttpResult<ErrorBody>>> GetRoutesAsync(
        HttpContext context, ClusterStore store, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (!PresentsProxyToken(context.Request.Headers[TokenHeader].ToString(), configuration["Proxy:Token"]))
        {
            return TypedResults.Json(new ErrorBody("A valid proxy token is required"), statusCode: StatusCodes.Status403Forbidden);
        }

        var running = await store.ListAsync(owner: null, [ClusterState.Running], cancellationToken);
        var routes = running
            .Where(c => c.SchedulerAddress is not null)
            .Select(c => new ClusterRouteRecord(c.Name, c.Owner, c.SchedulerAddress!, c.DashboardAddress))
            .ToList();
        return TypedResults.Ok(new ClusterRoutesSnapshot(routes));
    }

    public static bool PresentsProxyToken(string presented, string? expected) =>
        !string.IsNullOrEmpty(expected)
        && !string.IsNullOrEmpty(presented)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

public sealed record ClusterRoutesSnapshot([property: JsonPropertyName("routes")] IReadOnlyList<ClusterRouteRecord> Routes);

public sealed record ClusterRouteRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("schedulerAddress")] string SchedulerAddress,
    [property: JsonPropertyName("dashboardAddress")] string? DashboardAddress);
