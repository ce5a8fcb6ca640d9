using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Health;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Platform service gets, in the shape of Aspire's ServiceDefaults: OpenTelemetry, health checks,
/// service discovery, and the verified platform identity.
/// </summary>
public static class PlatformServiceDefaults
{
    /// <param name="builder">The service's builder.</param>
    /// <param name="verifyPlatformIdentity">
    /// False for a service that never trusts the platform identity itself: the Proxy, which asks Auth about every
    /// caller and strips identity headers. It then neither verifies assertions clients send nor runs the
    /// authentication and authorization middleware on each request.
    /// </param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, bool verifyPlatformIdentity = true)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        // Resilience is not a default: it goes on service-to-service clients only (AddServiceResilience), never on
        // clients whose calls are long (a Dask scheduler retiring workers) or not idempotent.
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        builder.Services.AddProxyToken();

        // A repeated key is ambiguous ({"count":0,"count":"x"}): refused as malformed JSON instead of read one way or another.
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.AllowDuplicateProperties = false;
            json.SerializerOptions.Converters.Add(new StrictJsonNodeConverter<JsonNode>());
            json.SerializerOptions.Converters.Add(new StrictJsonNodeConverter<JsonObject>());
        });
        // A body that cannot be bound throws in every environment (ASP.NET throws only in Development and otherwise
        // answers an empty 400), so UseJsonErrors can tell the client what is wrong with it.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseJsonRejections()));
        if (verifyPlatformIdentity)
        {
            builder.AddPlatformIdentity();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        return builder;
    }

    /// <param name="app">The service.</param>
    /// <param name="publicPort">
    /// True for the service that owns the public port (the Proxy): its health endpoints say pass or fail only, never
    /// the names of internal checks, and /metrics is served only on its metrics port (MetricsEndpoint.UseMetricsEndpoint).
    /// </param>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, bool publicPort = false)
    {
        app.UseJsonErrors();
        app.UseMetricsEndpoint(publicPort);
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.MapHealthEndpoints(publicPort);
        return app;
    }
}
