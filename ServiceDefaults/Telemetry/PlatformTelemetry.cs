using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>The platform's own activity source and meter; every service exports both.</summary>
public static class PlatformTelemetry
{
    public const string SourceName = "Platform";

    /// <summary>Spans the platform creates itself (outbox relay, idempotent consumers, backends).</summary>
    public static readonly ActivitySource Source = new(SourceName, typeof(PlatformTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The platform's own instruments (<c>platform.*</c>), scraped from <c>/metrics</c> and sent over OTLP.</summary>
    public static readonly Meter Meter = new(SourceName, typeof(PlatformTelemetry).Assembly.GetName().Version?.ToString());

    internal static string ServiceVersion(Assembly? entry) =>
        entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? entry?.GetName().Version?.ToString()
        ?? "0.0.0";
}
