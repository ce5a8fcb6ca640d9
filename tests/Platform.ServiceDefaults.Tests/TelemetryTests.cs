using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task A_server_span_is_named_after_the_route_and_carries_route_and_status()
    {
        var marker = Guid.NewGuid().ToString("N");
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await TestApp.StartAsync([], a => a.MapGet("/items-" + marker + "/{id}", (int id) => Results.NotFound()));

        await app.Client().GetAsync($"/items-{marker}/42");

        // The server span stops after the response has gone out, so it may end just after the client has it.
        for (var wait = 0; wait < 100 && !spans.Any(s => (s.GetTagItem("url.path") as string)?.Contains(marker, StringComparison.Ordinal) == true); wait++)
        {
            await Task.Delay(50);
        }

        var span = Assert.Single(spans, s => (s.GetTagItem("url.path") as string)?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.Equal($"GET /items-{marker}/{{id}}", span.DisplayName);
        Assert.Equal($"/items-{marker}/{{id}}", span.GetTagItem("http.route"));
        Assert.Equal(404, span.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task Traces_and_logs_are_exported_over_otlp_http_to_the_configured_endpoint()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var collector = await StartCollectorAsync(received);
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var marker = "otlp-" + Guid.NewGuid().ToString("N")[..8];

        var app = await TestApp.StartAsync(
            [
                new("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
                new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                new("OTEL_SERVICE_NAME", marker),
            ],
            a => a.MapGet("/work", (ILogger<TelemetryTests> log) =>
            {
                log.LogInformation("did the work for {Marker}", marker);
                return "ok";
            }));
        await app.Client().GetAsync("/work");
        await app.StopAsync();
        await app.DisposeAsync();

        var traces = received.Where(r => r.Path == "/v1/traces").Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        var logs = received.Where(r => r.Path == "/v1/logs").Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        Assert.Contains(traces, t => t.Contains(marker, StringComparison.Ordinal) && t.Contains("GET /work", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("did the work for", StringComparison.Ordinal));
    }

    private static async Task<WebApplication> StartCollectorAsync(ConcurrentQueue<(string, byte[])> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var collector = builder.Build();
        collector.MapPost("/{**signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        return collector;
    }
}
