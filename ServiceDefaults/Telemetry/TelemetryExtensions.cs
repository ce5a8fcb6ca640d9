using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.ServiceDefaults.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>
    /// Traces, metrics and logs over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// OpenTelemetry.Extensions.Hosting is not in the feed, so the providers are built here and owned by the container.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exportEnabled = !string.IsNullOrWhiteSpace(endpoint);
        var serviceName = configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var version = PlatformTelemetry.ServiceVersion(Assembly.GetEntryAssembly());

        // ResourceBuilder.AddEnvironmentVariableDetector honours OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
        ResourceBuilder Resource() => ResourceBuilder.CreateDefault()
            .AddService(serviceName, serviceVersion: version, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId)
            .AddEnvironmentVariableDetector();

        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        builder.Logging.AddJsonConsoleWhenRedirected(builder.Configuration);

        // Npgsql and HttpClient log every command and request at Information; their spans already carry that.
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        if (exportEnabled)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.SetResourceBuilder(Resource());
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.AddOtlpExporter(o => ConfigureExporter(o, configuration, "v1/logs"));
            });
        }

        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(Resource())
                .AddSource(PlatformTelemetry.TraceSources)
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()));
            if (exportEnabled)
            {
                tracing.AddOtlpExporter(o => ConfigureExporter(o, configuration, "v1/traces"));
            }

            var metering = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(Resource())
                .AddMeter(PlatformTelemetry.Meters);
            if (exportEnabled)
            {
                metering.AddOtlpExporter(o => ConfigureExporter(o, configuration, "v1/metrics"));
            }

            return new TelemetryProviders(tracing.Build(), metering.Build());
        });
        builder.Services.AddHostedService<TelemetryProvidersActivator>();
        return builder;
    }

    private static void ConfigureExporter(OtlpExporterOptions options, IConfiguration configuration, string signalPath)
    {
        // Configuration (not only the process environment) may carry OTEL_* keys, so they are applied here explicitly.
        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]?.Trim().ToLowerInvariant() switch
        {
            null or "" => options.Protocol,
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_PROTOCOL '{other}' is not supported: use 'grpc' or 'http/protobuf'."),
        };
        options.Protocol = protocol;
        if (configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } endpoint)
        {
            // An endpoint set in code is used as-is, so with HTTP the per-signal path is ours to append (as the spec says for the env var).
            options.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint.TrimEnd('/') + "/" + signalPath)
                : new Uri(endpoint);
        }

        if (configuration["OTEL_EXPORTER_OTLP_HEADERS"] is { Length: > 0 } headers)
        {
            options.Headers = headers;
        }
    }

    private static void AddJsonConsoleWhenRedirected(this ILoggingBuilder logging, IConfiguration configuration)
    {
        // Humans read the console; machines (the AppHost, Kubernetes) get one JSON object per line with trace ids.
        if (Console.IsOutputRedirected || configuration["Logging:Console:FormatterName"] == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "O";
                o.UseUtcTimestamp = true;
            });
        }
    }
}

/// <summary>Owns the tracer and meter providers so they flush on shutdown.</summary>
public sealed class TelemetryProviders(TracerProvider tracing, MeterProvider metering) : IDisposable
{
    public TracerProvider Tracing { get; } = tracing;

    public MeterProvider Metering { get; } = metering;

    public void Dispose()
    {
        Tracing.Dispose();
        Metering.Dispose();
    }
}

/// <summary>Resolves the providers at start so listening begins before the first request.</summary>
internal sealed class TelemetryProvidersActivator(TelemetryProviders providers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = providers;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        providers.Tracing.ForceFlush(2000);
        providers.Metering.ForceFlush(2000);
        return Task.CompletedTask;
    }
}
