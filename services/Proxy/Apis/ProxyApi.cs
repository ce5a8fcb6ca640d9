using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Proxy.Routing;
using Platform.ServiceDefaults.Identity;

namespace Platform.Proxy.Apis;

/// <summary>The Proxy's own internal endpoints, for operators and other services holding the proxy token.</summary>
public static class ProxyApi
{
    public static IEndpointRouteBuilder MapProxyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/proxy").RequireProxyToken();
        api.MapGet("/routes", GetRoutes);
        return app;
    }

    public static Ok<RouteList> GetRoutes(RouteTable routes) =>
        TypedResults.Ok(new RouteList([.. routes.Snapshot().Select(RouteEntry.From)]));
}

public sealed record RouteList([property: JsonPropertyName("routes")] IReadOnlyList<RouteEntry> Routes);

public sealed record RouteEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("sni")] string Sni,
    [property: JsonPropertyName("scheduler")] string Scheduler,
    [property: JsonPropertyName("dashboard")] string? Dashboard)
{
    public static RouteEntry From(ClusterRoute route) => new(
        route.Name,
        route.Owner,
        ClusterRoute.SniPrefix + route.Name,
        $"{route.SchedulerHost}:{route.SchedulerPort}",
        route.Dashboard?.ToString());
}
