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

    /// <summary>Bytes the Proxy copied between dask clients and schedulers (<c>direction</c>: to_scheduler, to_client).</summary>
    public static readonly Counter<long> SplicedBytes = Meter.CreateCounter<long>(
        "platform.proxy.spliced", "By", "Bytes spliced between dask clients and schedulers");

    /// <summary>Refused credential checks (<c>authenticator</c>: simple, jupyterhub, token, custom).</summary>
    public static readonly Counter<long> AuthenticationFailures = Meter.CreateCounter<long>(
        "platform.auth.failures", "{failure}", "Refused credential checks");

    /// <summary>
    /// Creates and scales let through unchecked because validation fails open (<c>operation</c>; <c>cause</c>:
    /// plugins_unavailable in Clusters, validator_timeout or validator_failed with <c>plugin</c> in Plugins).
    /// </summary>
    public static readonly Counter<long> ValidationBypassed = Meter.CreateCounter<long>(
        "platform.validation.bypassed", "{request}", "Cluster requests allowed without a validator's answer (fail-open)");

    /// <summary>From a cluster's creation to RUNNING.</summary>
    public static readonly Histogram<double> ClusterStartDuration = Meter.CreateHistogram(
        "platform.clusters.start.duration",
        "s",
        "Time from a cluster's creation until it is RUNNING",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600] });

    internal static string ServiceVersion(Assembly? entry) =>
        entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? entry?.GetName().Version?.ToString()
        ?? "0.0.0";
}
