using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary><c>/metrics</c> in the Prometheus text format, from OpenTelemetry's Prometheus exporter.</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>When set, <c>/metrics</c> answers only on connections to this local port (the Proxy's management port).</summary>
    public const string PortKey = "Telemetry:MetricsPort";

    /// <param name="app">The service.</param>
    /// <param name="servesPublicPort">
    /// True for the Proxy, whose own port is the platform's public port: metrics are then served only on
    /// <c>Telemetry:MetricsPort</c>, and not at all without it.
    /// </param>
    public static WebApplication UseMetricsEndpoint(this WebApplication app, bool servesPublicPort)
    {
        var port = app.Configuration.GetValue<int?>(PortKey);
        if (servesPublicPort && port is null)
        {
            return app;
        }

        // The connection's local port, unlike the Host header, is not the client's to choose.
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == Path && (port is null || context.Connection.LocalPort == port));
        return app;
    }
}
