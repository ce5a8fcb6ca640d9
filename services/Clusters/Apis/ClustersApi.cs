using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Lifecycle;
using Platform.Clusters.Model;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Apis;

/// <summary>
/// The Dask-Gateway-compatible REST API: the paths, JSON and status codes dask-gateway's client expects.
/// Callers are the users named by the platform identity assertion; a user sees and changes only their own
/// clusters, an admin all of them.
/// </summary>
public static class ClustersApi
{
    private static readonly string Version = typeof(ClustersApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapClustersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", GetHealthAsync);
        app.MapGet("/api/version", GetVersion);

        var api = app.MapGroup("/api/v1").RequireAuthorization();
        api.MapGet("/options", GetOptions);
        api.MapGet("/clusters/", ListClustersAsync);
        api.MapPost("/clusters/", CreateClusterAsync);
        api.MapGet("/clusters/{name}", GetClusterAsync);
        api.MapDelete("/clusters/{name}", DeleteClusterAsync);
        api.MapPost("/clusters/{name}/scale", ScaleClusterAsync);
        api.MapPost("/clusters/{name}/adapt", AdaptClusterAsync);

        app.MapPlatformClustersApi();
        app.MapClusterLabelsApi();
        app.MapInternalRoutesApi();
        return app;
    }

    public static async Task<JsonHttpResult<GatewayHealth>> GetHealthAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        return report.Status == HealthStatus.Unhealthy
            ? TypedResults.Json(new GatewayHealth("fail"), statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Json(new GatewayHealth("pass"));
    }

    public static Ok<GatewayVersion> GetVersion() => TypedResults.Ok(new GatewayVersion(Version));

    public static Ok<GatewayClusterOptions> GetOptions([AsParameters] ClusterServices services) =>
        TypedResults.Ok(GatewayClusterOptions.From(services.Options));

    public static async Task<Results<Ok<Dictionary<string, GatewayCluster>>, JsonHttpResult<ErrorBody>>> ListClustersAsync(
        HttpContext context, [AsParameters] ClusterServices services, string? status, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        List<ClusterState> states;
        if (status is null)
        {
            states = [.. ClusterStateNames.ListedByDefault];
        }
        else
        {
            states = [];
            foreach (var name in status.Split(','))
            {
                if (!ClusterStateNames.TryParse(name, out var state))
                {
                    return Error(StatusCodes.Status422UnprocessableEntity, $"'{name}' is not a valid ClusterStatus");
                }

                states.Add(state);
            }
        }

        var clusters = await services.Store.ListAsync(caller.IsAdmin ? null : caller.User, states, cancellationToken);
        return TypedResults.Ok(clusters.ToDictionary(c => c.Name, GatewayCluster.From));
    }

    public static async Task<Results<Created<GatewayClusterCreated>, JsonHttpResult<ErrorBody>>> CreateClusterAsync(
        HttpContext context, [AsParameters] ClusterServices services, PluginValidationClient validation, [FromBody] GatewayCreateCluster? request, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        if (request?.ClusterOptions is not (null or JsonObject))
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "cluster_options must be a mapping");
        }

        var (labels, labelProblem) = ClusterLabels.Parse(request?.Labels);
        if (labels is null)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, labelProblem!);
        }

        if (await ClusterLabelsApi.RefusalAsync(context, validation, "create", null, caller.User, labels, request?.ClusterOptions as JsonObject, null, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        try
        {
            var cluster = await services.Lifecycle.CreateAsync(caller, request?.ClusterOptions as JsonObject, labels, cancellationToken);
            return TypedResults.Created($"/api/v1/clusters/{cluster.Name}", new GatewayClusterCreated(cluster.Name));
        }
        catch (Exception e) when (e is OptionValidationException or QuotaExceededException)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, e.Message);
        }
    }

    public static async Task<Results<Ok<GatewayCluster>, JsonHttpResult<ErrorBody>>> GetClusterAsync(
        HttpContext context, [AsParameters] ClusterServices services, string name, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        var deadline = DateTimeOffset.UtcNow + services.Settings.Value.WaitTimeout;
        var wait = WaitRequested(context.Request.Query);
        while (true)
        {
            // Taken before the read, so a change committed between the read and the wait still wakes us; only
            // when waiting, and left at the end of each round, so no name outlives its request in the signal.
            using var watch = wait ? services.Changes.Watch(name) : null;
            var cluster = await services.Store.GetAsync(name, cancellationToken);
            if (cluster is null)
            {
                return Error(StatusCodes.Status404NotFound, $"Cluster {name} not found");
            }

            if (!cluster.IsVisibleTo(caller.User, caller.IsAdmin))
            {
                return Error(StatusCodes.Status403Forbidden, $"User {caller.User} lacks permissions to view cluster {name}");
            }

            // Like dask-gateway, ?wait returns once the cluster is ready: no longer PENDING.
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (!wait || cluster.State != ClusterState.Pending || remaining <= TimeSpan.Zero)
            {
                return TypedResults.Ok(GatewayCluster.From(cluster));
            }

            await Task.WhenAny(watch!.Changed, Task.Delay(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorBody>>> DeleteClusterAsync(
        HttpContext context, [AsParameters] ClusterServices services, string name, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        var cluster = await services.Store.GetAsync(name, cancellationToken);
        if (cluster is not null)
        {
            if (!cluster.IsVisibleTo(caller.User, caller.IsAdmin))
            {
                return Error(StatusCodes.Status403Forbidden, $"User {caller.User} lacks permissions to stop cluster {name}");
            }

            await services.Lifecycle.StopAsync(name, $"Stopped by {caller.User}.", cancellationToken);
        }

        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<GatewayScaleResult>, JsonHttpResult<ErrorBody>>> ScaleClusterAsync(
        HttpContext context, [AsParameters] ClusterServices services, PluginValidationClient validation, string name, [FromBody] JsonObject? body, CancellationToken cancellationToken)
    {
        var (cluster, error) = await FindOwnAsync(context, services, name, cancellationToken);
        if (cluster is null)
        {
            return error!;
        }

        var count = body?["count"];
        if (count is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue<int>(out var n) || n < 0)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, $"Scale expects a non-negative integer, got {count?.ToJsonString() ?? "None"}");
        }

        var options = System.Text.Json.Nodes.JsonNode.Parse(cluster.OptionsJson) as JsonObject;
        if (await ClusterLabelsApi.RefusalAsync(context, validation, "scale", cluster, cluster.Owner, cluster.Labels, options, n, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        try
        {
            var outcome = await services.Lifecycle.ScaleAsync(cluster, n, cancellationToken);
            return TypedResults.Ok(new GatewayScaleResult(outcome.Ok, outcome.Message));
        }
        catch (ClusterNotRunningException e)
        {
            return Error(StatusCodes.Status409Conflict, e.Message);
        }
    }

    public static async Task<Results<Ok<GatewayScaleResult>, JsonHttpResult<ErrorBody>>> AdaptClusterAsync(
        HttpContext context, [AsParameters] ClusterServices services, PluginValidationClient validation, string name, [FromBody] JsonObject? body, CancellationToken cancellationToken)
    {
        var (cluster, error) = await FindOwnAsync(context, services, name, cancellationToken);
        if (cluster is null)
        {
            return error!;
        }

        if (!TryOptionalCount(body?["minimum"], out var minimum) || !TryOptionalCount(body?["maximum"], out var maximum))
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "Adapt expects minimum and maximum to be non-negative integers or null");
        }

        var activeNode = body?["active"];
        if (activeNode is not null && activeNode.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "Adapt expects active to be a bool");
        }

        // Turning adaptive scaling off adds no workers, so only an active adapt is put to the validators (its maximum as the workers).
        var active = activeNode?.GetValue<bool>() ?? true;
        var options = JsonNode.Parse(cluster.OptionsJson) as JsonObject;
        if (active && await ClusterLabelsApi.RefusalAsync(context, validation, "adapt", cluster, cluster.Owner, cluster.Labels, options, maximum, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        try
        {
            var outcome = await services.Lifecycle.AdaptAsync(cluster, minimum, maximum, active, cancellationToken);
            return TypedResults.Ok(new GatewayScaleResult(outcome.Ok, outcome.Message));
        }
        catch (ClusterNotRunningException e)
        {
            return Error(StatusCodes.Status409Conflict, e.Message);
        }
        catch (InvalidClusterRequestException e)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, e.Message);
        }
    }

    internal static PlatformIdentity Caller(HttpContext context) =>
        context.GetPlatformIdentity() ?? throw new InvalidOperationException("The API group requires authorization; no identity is an endpoint configuration error.");

    /// <summary>The cluster if it exists and the caller may change it; otherwise the 404/403 to return.</summary>
    internal static async Task<(Model.ClusterRecord? Cluster, JsonHttpResult<ErrorBody>? Error)> FindOwnAsync(HttpContext context, ClusterServices services, string name, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        var cluster = await services.Store.GetAsync(name, cancellationToken);
        if (cluster is null)
        {
            return (null, Error(StatusCodes.Status404NotFound, $"Cluster {name} not found"));
        }

        return cluster.IsVisibleTo(caller.User, caller.IsAdmin)
            ? (cluster, null)
            : (null, Error(StatusCodes.Status403Forbidden, $"User {caller.User} lacks permissions to view cluster {name}"));
    }

    internal static JsonHttpResult<ErrorBody> Error(int status, string message) => TypedResults.Json(new ErrorBody(message), statusCode: status);

    // dask-gateway's _parse_query_flag: "?wait" and "?wait=1" mean yes; absent, "0" or anything unparsable mean no.
    private static bool WaitRequested(IQueryCollection query) =>
        query.TryGetValue("wait", out var values) && (values.ToString() is "" || (int.TryParse(values.ToString(), out var flag) && flag != 0));

    private static bool TryOptionalCount(JsonNode? node, out int? count)
    {
        count = null;
        if (node is null)
        {
            return true;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var n) && n >= 0)
        {
            count = n;
            return true;
        }

        return false;
    }
}
