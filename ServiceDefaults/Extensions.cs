using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Health;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every Platform service gets: telemetry, health, service discovery and the verified platform identity.</summary>
public static class PlatformServiceDefaults
{
    /// <param name="verifyPlatformIdentity">
    /// False for a service that never trusts the platform identity itself: the Proxy, which asks Auth about every
    /// caller and strips identity headers. It then neither verifies assertions clients send nor runs the
    /// authentication and authorization middleware on each request.
    /// </param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, bool verifyPlatformIdentity = true)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddPlatformTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        builder.Services.AddPlatformServiceDiscovery();
        if (verifyPlatformIdentity)
        {
            builder.AddPlatformIdentity();
        }

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseMiddleware<ServerSpanEnrichment>();
        app.UseJsonErrors();
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.MapHealthEndpoints();
        return app;
    }
}
