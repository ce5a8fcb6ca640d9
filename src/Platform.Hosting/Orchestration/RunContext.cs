using Microsoft.Extensions.Configuration;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Orchestration;

/// <summary>What a resource needs from the AppHost while it starts: configuration, folders, console, PID file.</summary>
internal sealed class RunContext(DistributedApplicationBuilder builder, ConsoleOutput console, PidFile pidFile)
{
    public IConfiguration Configuration => builder.Configuration;
    public ConsoleOutput Console { get; } = console;
    public PidFile PidFile { get; } = pidFile;
    public string AppHostDirectory => builder.AppHostDirectory;
    public string BuildConfiguration => builder.BuildConfiguration;
    public InfrastructureLocator Locator { get; } = new(console);

    public string DataDirectoryFor(Resource resource) => Path.Combine(builder.DataDirectory, resource.Name);

    public Action<string> OutputOf(Resource resource) => line => Console.ResourceLine(resource.Name, line);

    /// <summary>An OTLP collector (e.g. a dashboard) to send every project's telemetry to, if the user gave one.</summary>
    public string? OtlpEndpoint => NonEmpty(Configuration["Dashboard:OtlpEndpoint"]) ?? NonEmpty(Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public string OtlpProtocol =>
        NonEmpty(Configuration["Dashboard:OtlpProtocol"]) ?? NonEmpty(Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"])
        ?? (OtlpEndpoint is { } endpoint && endpoint.TrimEnd('/').EndsWith(":4318", StringComparison.Ordinal) ? "http/protobuf" : "grpc");

    public string ProjectEnvironmentName => NonEmpty(Configuration["Platform:Environment"]) ?? "Development";

    public TimeSpan StartTimeout(Resource resource, TimeSpan fallback) =>
        Configuration.GetValue<int?>($"Platform:StartTimeoutSeconds:{resource.Name}") is { } seconds ? TimeSpan.FromSeconds(seconds) : fallback;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
