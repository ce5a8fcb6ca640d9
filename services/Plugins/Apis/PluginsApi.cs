using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.Loading;
using Platform.Plugins.Model;
using Platform.Plugins.Registry;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Plugins.Apis;

/// <summary>
/// The plugin registry: admins upload packages (the body is the .nupkg), enable, disable, restore and delete them;
/// anyone signed in may read what is installed and how its handlers ran.
/// </summary>
public static class PluginsApi
{
    public static IEndpointRouteBuilder MapPluginsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/plugins").RequireAuthorization();
        api.MapGet("", ListAsync);
        api.MapGet("/{name}", GetAsync);
        api.MapGet("/{name}/runs", GetRunsAsync);
        var admin = app.MapGroup("/api/plugins").RequireAuthorization(PlatformPolicies.Admin);
        admin.MapPost("", UploadAsync);
        admin.MapPost("/{name}/enable", (PluginRegistry registry, string name, CancellationToken cancellationToken) => ToResult(registry.EnableAsync(name, cancellationToken)));
        admin.MapPost("/{name}/disable", (PluginRegistry registry, string name, CancellationToken cancellationToken) => ToResult(registry.DisableAsync(name, cancellationToken)));
        admin.MapPost("/{name}/restore", (PluginRegistry registry, string name, CancellationToken cancellationToken) => ToResult(registry.RestoreAsync(name, cancellationToken)));
        admin.MapDelete("/{name}", (PluginRegistry registry, string name, CancellationToken cancellationToken) => ToResult(registry.DeleteAsync(name, cancellationToken)));

        app.MapDeploymentsApi();
        app.MapPluginRoutesApi();
        app.MapValidationApi();
        return app;
    }

    public static async Task<Ok<PluginList>> ListAsync(PluginRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PluginList(await registry.ListAsync(cancellationToken)));

    public static async Task<Results<Ok<PluginDetails>, JsonHttpResult<ErrorBody>>> GetAsync(
        PluginRegistry registry, HandlerRunStore runs, string name, CancellationToken cancellationToken)
    {
        if (await registry.GetAsync(name, cancellationToken) is not { } plugin)
        {
            return Error(StatusCodes.Status404NotFound, $"Plugin {name} is not installed.");
        }

        return TypedResults.Ok(PluginDetails.From(plugin, await runs.RecentAsync(name, null, 50, cancellationToken)));
    }

    /// <summary>The plugin's handler runs, newest first (<c>?cluster=</c> narrows to one cluster, <c>?limit=</c> default 100).</summary>
    public static async Task<Ok<HandlerRunList>> GetRunsAsync(HandlerRunStore runs, string name, string? cluster, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(new HandlerRunList(await runs.RecentAsync(name, cluster, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken)));

    public static async Task<Results<Created<PluginSummary>, JsonHttpResult<ErrorBody>>> UploadAsync(
        HttpContext context, PluginRegistry registry, IOptions<PluginLoadingSettings> settings, CancellationToken cancellationToken)
    {
        var limit = settings.Value.MaxPackageBytes;
        if (context.Request.ContentLength > limit)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, $"The package is over the size limit of {limit} bytes (Plugins:MaxPackageBytes).");
        }

        // One byte past the limit is enough to know it is too big, without buffering an arbitrarily large body.
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > limit)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, $"The package is over the size limit of {limit} bytes (Plugins:MaxPackageBytes).");
            }
        }

        if (body.Length == 0)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "The request body must be the plugin package (.nupkg).");
        }

        var outcome = await registry.InstallAsync(body.ToArray(), cancellationToken);
        return outcome.Status == RegistryStatus.Ok
            ? TypedResults.Created($"/api/plugins/{outcome.Plugin!.Name}", outcome.Plugin)
            : Problem(outcome);
    }

    internal static JsonHttpResult<ErrorBody> Error(int status, string message) => TypedResults.Json(new ErrorBody(message), statusCode: status);

    private static async Task<Results<Ok<PluginSummary>, JsonHttpResult<ErrorBody>>> ToResult(Task<RegistryOutcome> command)
    {
        var outcome = await command;
        return outcome.Status == RegistryStatus.Ok ? TypedResults.Ok(outcome.Plugin!) : Problem(outcome);
    }

    private static JsonHttpResult<ErrorBody> Problem(RegistryOutcome outcome) => Error(
        outcome.Status switch
        {
            RegistryStatus.NotFound => StatusCodes.Status404NotFound,
            RegistryStatus.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status422UnprocessableEntity,
        },
        outcome.Problem!);
}
