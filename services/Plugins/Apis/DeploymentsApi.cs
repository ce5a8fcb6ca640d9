using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Deployments;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Plugins.Apis;

/// <summary>What an admin asks a deployment plugin to deploy: a name and its plugin-specific settings.</summary>
public sealed record DeploymentRequest(string Name, Dictionary<string, string>? Settings);

/// <summary>
/// Deployment plugins (the Pi layer's <c>DeploymentPlugin</c>): <c>POST /api/plugins/{plugin}/deployments/{kind}</c> deploys,
/// <c>GET …/{kind}/{name}</c> reports its status. Admins only: a deployment changes the installation, not one user's cluster.
/// </summary>
public static class DeploymentsApi
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/plugins/{plugin}/deployments").RequireAuthorization(PlatformPolicies.Admin);
        api.MapPost("/{kind}", DeployAsync);
        api.MapGet("/{kind}/{name}", StatusAsync);
        return app;
    }

    public static async Task<Results<Ok<DeploymentStatus>, JsonHttpResult<ErrorBody>>> DeployAsync(
        HttpContext context, PluginHost host, string plugin, string kind, DeploymentRequest request, CancellationToken cancellationToken)
    {
        if (Find(host, plugin, kind) is not { } deployment)
        {
            return PluginsApi.Error(StatusCodes.Status404NotFound, $"Plugin {plugin} has no deployment kind {kind}.");
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return PluginsApi.Error(StatusCodes.Status422UnprocessableEntity, "A deployment needs a name.");
        }

        var config = new DeploymentConfig(request.Name, request.Settings ?? [], context.GetPlatformIdentity()!.User);
        return await CallAsync(plugin, () => deployment.DeployAsync(config, cancellationToken), cancellationToken);
    }

    public static async Task<Results<Ok<DeploymentStatus>, JsonHttpResult<ErrorBody>>> StatusAsync(
        PluginHost host, string plugin, string kind, string name, CancellationToken cancellationToken)
    {
        if (Find(host, plugin, kind) is not { } deployment)
        {
            return PluginsApi.Error(StatusCodes.Status404NotFound, $"Plugin {plugin} has no deployment kind {kind}.");
        }

        return await CallAsync(plugin, () => deployment.StatusAsync(name, cancellationToken), cancellationToken);
    }

    private static IDeploymentPlugin? Find(PluginHost host, string plugin, string kind) =>
        host.Find(plugin)?.Registrations.Deployments.FirstOrDefault(d => string.Equals(d.Kind, kind, StringComparison.OrdinalIgnoreCase));

    private static async Task<Results<Ok<DeploymentStatus>, JsonHttpResult<ErrorBody>>> CallAsync(string plugin, Func<Task<DeploymentStatus>> call, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await Task.Run(call, CancellationToken.None).WaitAsync(Timeout, cancellationToken));
        }
        catch (TimeoutException)
        {
            return PluginsApi.Error(StatusCodes.Status504GatewayTimeout, $"Plugin {plugin} did not answer within {Timeout.TotalSeconds:0} s.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return PluginsApi.Error(StatusCodes.Status502BadGateway, $"Plugin {plugin} failed ({e.GetType().Name}: {e.Message}).");
        }
    }
}
