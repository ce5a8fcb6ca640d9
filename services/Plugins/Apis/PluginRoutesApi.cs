using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Routes;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Plugins.Apis;

/// <summary>
/// Plugin routes: <c>/api/plugins/{plugin}/{path}</c> goes to the active plugin's handler for that method and path, with
/// the caller's verified identity. The registry's own paths (enable, disable, restore, runs) take precedence.
/// </summary>
public static class PluginRoutesApi
{
    private const int MaxBodyBytes = 1024 * 1024;
    private static readonly TimeSpan RouteTimeout = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapPluginRoutesApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/plugins/{plugin}/{**path}", ["GET", "POST", "PUT", "PATCH", "DELETE"], ServeAsync).RequireAuthorization();
        return app;
    }

    public static async Task ServeAsync(HttpContext context, PluginHost host, string plugin, string? path, ILogger<PluginHost> logger)
    {
        var cancellationToken = context.RequestAborted;
        var caller = context.GetPlatformIdentity()!;
        var segments = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (host.Find(plugin) is not { } loaded)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"Plugin {plugin} is not installed or not enabled.");
            return;
        }

        var method = context.Request.Method;
        var (route, values) = loaded.Registrations.Routes.Select(r => (Route: r, Values: r.Match(method, segments))).FirstOrDefault(m => m.Values is not null);
        if (route is null || values is null)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"Plugin {plugin} has no route {method} /{string.Join('/', segments)}.");
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, cancellationToken);
        if (body.Length > MaxBodyBytes)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"Plugin route bodies are limited to {MaxBodyBytes} bytes.");
            return;
        }

        var request = new PluginRequest(
            method,
            "/" + string.Join('/', segments),
            values,
            context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            new PluginCaller(caller.User, caller.Groups, caller.IsAdmin),
            body.ToArray());
        PluginResponse response;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RouteTimeout);
        try
        {
            response = await Task.Run(() => route.Handler(request, deadline.Token), CancellationToken.None).WaitAsync(RouteTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status504GatewayTimeout, $"Plugin {plugin} did not answer within {RouteTimeout.TotalSeconds:0} s.");
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Plugin {Plugin} route {Method} {Path} failed", plugin, method, request.Path);
            await JsonErrors.WriteAsync(context, StatusCodes.Status502BadGateway, $"Plugin {plugin} failed to answer ({e.GetType().Name}).");
            return;
        }

        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        await context.Response.Body.WriteAsync(response.Body, cancellationToken);
    }
}
