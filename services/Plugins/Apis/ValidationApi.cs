using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts.Plugins;
using Platform.Plugins.Validation;

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

    public static async Task<Ok<ClusterValidationResponse>> ValidateAsync(ClusterValidationRequest request, ClusterAdmission admission, CancellationToken cancellationToken) =>
        TypedResults.Ok(await admission.ValidateAsync(request, cancellationToken));
}
