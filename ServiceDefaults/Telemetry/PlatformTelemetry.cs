using System.Diagnostics;
using System.Reflection;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>The activity sources and meters every service reports, and the platform's own source.</summary>
public static class PlatformTelemetry
{
    public const string SourceName = "Platform";

    /// <summary>Spans the platform creates itself (outbox relay, idempotent consumers, backends).</summary>
    public static readonly ActivitySource Source = new(SourceName, typeof(PlatformTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>.NET's built-in sources: no instrumentation packages exist in this feed, and none are needed.</summary>
    public static readonly string[] TraceSources =
    [
        SourceName,
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "MassTransit",
        "Npgsql",
    ];

    public static readonly string[] Meters =
    [
        SourceName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Net.Http",
        "System.Runtime",
        "MassTransit",
        "Npgsql",
    ];

    internal static string ServiceVersion(Assembly? entry) =>
        entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? entry?.GetName().Version?.ToString()
        ?? "0.0.0";
}
