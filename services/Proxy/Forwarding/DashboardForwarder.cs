using Platform.Proxy.Routing;
using Platform.ServiceDefaults.Errors;

namespace Platform.Proxy.Forwarding;

/// <summary>
/// <c>/clusters/{name}/...</c> → that cluster's dashboard with the prefix stripped (WebSockets included), for the
/// cluster's owner and admins only.
/// </summary>
public static class DashboardForwarder
{
    public static IEndpointRouteBuilder MapDashboards(this IEndpointRouteBuilder app)
    {
        // One endpoint: routing treats a trailing slash as optional, so a separate "/clusters/{name}" endpoint
        // would also take "/clusters/{name}/" and redirect it to itself.
        app.Map("/clusters/{name}/{**rest}", ForwardAsync);
        return app;
    }

    /// <summary>The dashboard's relative links resolve under the prefix only with the trailing slash.</summary>
    public static bool NeedsTrailingSlash(PathString path, string name) =>
        string.Equals(path.Value, "/clusters/" + name, StringComparison.Ordinal);

    public static bool MayView(Caller caller, ClusterRoute route) =>
        caller.IsAdmin || string.Equals(caller.User, route.Owner, StringComparison.Ordinal);

    public static async Task ForwardAsync(HttpContext context, string name, string? rest, RouteTable routes, BackendForwarding forwarding, ForwardAuth auth)
    {
        if (NeedsTrailingSlash(context.Request.Path, name))
        {
            context.Response.Redirect($"{context.Request.PathBase}/clusters/{Uri.EscapeDataString(name)}/{context.Request.QueryString}");
            return;
        }

        if (!routes.TryGet(name, out var route) || route.Dashboard is null)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"Cluster {name} has no dashboard here");
            return;
        }

        var answer = await auth.IdentifyAsync(context);
        if (answer.Caller is null)
        {
            await answer.WriteRefusalAsync(context);
            return;
        }

        if (!MayView(answer.Caller, route))
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status403Forbidden, $"User {answer.Caller.User} lacks permissions to view cluster {name}");
            return;
        }

        var prefixLength = "/clusters/".Length + name.Length;
        var raw = context.Request.Path.Value ?? "/";
        var path = raw.Length > prefixLength ? raw[prefixLength..] : "/";
        var basePath = route.Dashboard.AbsolutePath.TrimEnd('/');
        await forwarding.ForwardAsync(context, route.Dashboard.GetLeftPart(UriPartial.Authority), new PlatformTransformer
        {
            Assertion = null,
            SetCookies = answer.SetCookies,
            PathOverride = new PathString(basePath + (path.StartsWith('/') ? path : "/" + path)),
            StripCredentials = true,
            PublicPrefix = context.Request.PathBase + "/clusters/" + Uri.EscapeDataString(name),
            BackendBasePath = basePath,
        });
    }
}
