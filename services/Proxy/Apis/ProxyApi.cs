using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Proxy.Forwarding;
using Platform.Proxy.Routing;
using Platform.ServiceDefaults.Errors;

namespace Platform.Proxy.Apis;

/// <summary>The Proxy's own internal endpoints, for operators and other services holding the proxy token.</summary>
public static class ProxyApi
{
    public static IEndpointRouteBuilder MapProxyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/proxy").AddEndpointFilter(RequireProxyTokenAsync);
        api.MapGet("/routes", GetRoutes);
        return app;
    }

    public static Ok<RouteList> GetRoutes(RouteTable routes) =>
        TypedResults.Ok(new RouteList([.. routes.Snapshot().Select(RouteEntry.From)]));

    /// <summary>Constant-time comparison of hashes: neither the token's content nor its length leaks through timing.</summary>
    public static bool TokenMatches(string? expected, string? presented)
    {
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }

    private static async ValueTask<object?> RequireProxyTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = http.RequestServices.GetRequiredService<IOptions<ForwardAuthOptions>>().Value.ProxyToken;
        var presented = http.Request.Headers[IdentityHeaders.ProxyToken].ToString();
        if (string.IsNullOrEmpty(presented) && http.Request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }

        if (!TokenMatches(expected, presented))
        {
            return TypedResults.Json(new ErrorBody("The proxy token is required"), ErrorJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }
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
