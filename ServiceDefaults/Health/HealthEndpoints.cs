using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults.Health;

public static class HealthEndpoints
{
    public const string LiveTag = "live";
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    /// <summary>
    /// <c>/alive</c>: the process answers. <c>/health</c>: ready, every dependency (database, bus) reachable. On a
    /// service's own port (reached by the orchestrator and operators, never by users) the body names each check and
    /// its state; on the public port only <c>{"status":"pass"}</c> or <c>{"status":"fail"}</c> (503).
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app, bool publicPort = false)
    {
        Func<HttpContext, HealthReport, Task> writer = publicPort ? WritePassFailAsync : WriteAsync;
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = writer,
        });
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = writer });
        return app;
    }

    // The wording of dask-gateway's /api/health; a degraded service still serves, so it passes.
    private static Task WritePassFailAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new PassFailBody(report.Status == HealthStatus.Unhealthy ? "fail" : "pass");
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJsonContext.Default.PassFailBody, context.RequestAborted);
    }

    // Names and states only: exception messages can carry connection strings, so they stay in the logs.
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthBody(
            report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJsonContext.Default.HealthBody, context.RequestAborted);
    }
}

internal sealed record HealthBody(string Status, Dictionary<string, string> Checks);

internal sealed record PassFailBody(string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HealthBody))]
[JsonSerializable(typeof(PassFailBody))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
