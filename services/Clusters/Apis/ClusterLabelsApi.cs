using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Model;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Apis;

/// <summary>
/// Labels on the platform API (<c>PUT /api/platform/clusters/{name}/labels</c>), and the plugin validators asked before a
/// create, scale or adapt. Nothing here touches dask-gateway's JSON.
/// </summary>
public static class ClusterLabelsApi
{
    public static IEndpointRouteBuilder MapClusterLabelsApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/platform/clusters/{name}/labels", ReplaceLabelsAsync).RequireAuthorization();
        return app;
    }

    /// <summary>Replaces the labels (the body is the whole mapping); returns them. Cluster events from now on carry them.</summary>
    public static async Task<Results<Ok<Dictionary<string, string>>, JsonHttpResult<ErrorBody>>> ReplaceLabelsAsync(
        HttpContext context, [AsParameters] ClusterServices services, ClusterLabelStore labels, string name, [FromBody] JsonNode? body, CancellationToken cancellationToken)
    {
        var (cluster, error) = await ClustersApi.FindOwnAsync(context, services, name, cancellationToken);
        if (cluster is null)
        {
            return error!;
        }

        var (parsed, problem) = ClusterLabels.Parse(body ?? new JsonObject());
        if (parsed is null)
        {
            return ClustersApi.Error(StatusCodes.Status422UnprocessableEntity, problem!);
        }

        await labels.ReplaceLabelsAsync(name, parsed, ClustersApi.Caller(context).User, cancellationToken);
        return TypedResults.Ok(new Dictionary<string, string>(parsed));
    }

    /// <summary>
    /// Null when the plugins' validators allow the request; otherwise the refusal: 422 with a validator's message, or 503
    /// when Plugins did not answer and validation fails closed.
    /// </summary>
    internal static async Task<JsonHttpResult<ErrorBody>?> RefusalAsync(
        HttpContext context, PluginValidationClient validation, string operation, ClusterRecord? cluster, string owner,
        IReadOnlyDictionary<string, string> labels, JsonObject? options, int? workers, CancellationToken cancellationToken)
    {
        var request = new ClusterValidationRequest(
            operation,
            cluster?.Name,
            owner,
            labels,
            (options ?? []).ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? p.Value.GetValue<string>() : p.Value?.ToJsonString() ?? "null"),
            workers);
        var outcome = await validation.ValidateAsync(request, context.Request.Headers[PlatformIdentity.HeaderName].FirstOrDefault(), cancellationToken);
        return outcome.Decision switch
        {
            ValidationDecision.Allowed => null,
            ValidationDecision.Unavailable => ClustersApi.Error(StatusCodes.Status503ServiceUnavailable, outcome.Message!),
            _ => ClustersApi.Error(StatusCodes.Status422UnprocessableEntity, outcome.Message!),
        };
    }
}
