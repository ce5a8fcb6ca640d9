using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts.Plugins;
using Platform.Plugins.Validation;
using Platform.ServiceDefaults.Errors;

namespace Platform.Plugins.Apis;

/// <summary>
/// Clusters asks here before it creates or scales a cluster, forwarding the caller's identity assertion, so the
/// validators see the request as the user made it.
/// </summary>
public static class ValidationApi
{
    public const string Path = "/internal/plugins/validate";

    public static IEndpointRouteBuilder MapValidationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ValidateAsync).RequireAuthorization();
        return app;
    }

    public static async Task<Results<Ok<ClusterValidationResponse>, JsonHttpResult<ErrorBody>>> ValidateAsync(
        ClusterValidationRequest request, ClusterAdmission admission, CancellationToken cancellationToken)
    {
        // JSON binding leaves absent members null whatever the record declares (found by the fuzz suite: a 500).
        if (request.Operation is null || request.Owner is null || request.Labels is null || request.Options is null)
        {
            return PluginsApi.Error(StatusCodes.Status400BadRequest, "operation, owner, labels and options are required");
        }

        return TypedResults.Ok(await admission.ValidateAsync(request, cancellationToken));
    }
}
