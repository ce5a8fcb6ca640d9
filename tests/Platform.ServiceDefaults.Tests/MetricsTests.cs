using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Hosting.Infrastructure;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Telemetry;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

public sealed class MetricsTests(InfrastructureFixture infrastructure) : IClassFixture<InfrastructureFixture>
{
    [Fact]
    public async Task Metrics_are_served_in_the_prometheus_text_format_with_http_and_platform_instruments()
    {
        var marker = "m" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await TestApp.StartAsync([], a => a.MapGet("/work", () => "ok"));
        await app.Client().GetAsync(new Uri("/work", UriKind.Relative));
        PlatformTelemetry.AuthenticationFailures.Add(1, new KeyValuePair<string, object?>("authenticator", marker));

        using var response = await app.Client().GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", body, StringComparison.Ordinal);
        Assert.Equal(1, Sample(body, "platform_auth_failures_total", $"authenticator=\"{marker}\""));
    }

    [Fact]
    public async Task A_metric_keeps_at_most_the_platform_limit_of_tag_combinations_and_counts_the_rest_as_overflow()
    {
        var name = "platform.test.m" + Guid.NewGuid().ToString("N")[..8];
        var series = name.Replace('.', '_') + "_total";
        using var meter = new System.Diagnostics.Metrics.Meter(PlatformTelemetry.SourceName);
        var counter = meter.CreateCounter<long>(name);
        await using var app = await TestApp.StartAsync([], _ => { });
        var combinations = TelemetryExtensions.MaxPointsPerMetric + 50;
        for (var i = 0; i < combinations; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("key", i));
        }

        PlatformTelemetry.ClusterStartDuration.Record(3);
        using var response = await app.Client().GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        var samples = body.Split('\n').Where(l => l.StartsWith(series + "{", StringComparison.Ordinal)).ToList();

        Assert.Single(samples, l => l.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal));
        Assert.InRange(samples.Count, TelemetryExtensions.MaxPointsPerMetric - 1, TelemetryExtensions.MaxPointsPerMetric + 1);
        // Nothing is lost: every measurement is counted, the ones past the limit under the overflow series.
        Assert.Equal(combinations, samples.Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));
        // The view sets only the limit: an instrument's advised histogram buckets still apply.
        Assert.Contains(body.Split('\n'), l => l.StartsWith("platform_clusters_start_duration_seconds_bucket{", StringComparison.Ordinal) && l.Contains("le=\"600\"}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_metrics_port_metrics_answer_there_and_nowhere_else()
    {
        var (publicPort, metricsPort) = (FreePort.Pick(), FreePort.Pick());
        await using var app = await StartOnPortsAsync(servesPublicPort: false, [publicPort, metricsPort], new() { [MetricsEndpoint.PortKey] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var http = new HttpClient();

        using var onPublic = await http.GetAsync(new Uri($"http://127.0.0.1:{publicPort}/metrics"));
        using var spoofed = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{publicPort}/metrics")) { Headers = { Host = $"127.0.0.1:{metricsPort}" } });
        using var onMetrics = await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, spoofed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onMetrics.StatusCode);
    }

    [Fact]
    public async Task A_service_on_the_public_port_serves_no_metrics_without_a_metrics_port()
    {
        var port = FreePort.Pick();
        await using var app = await StartOnPortsAsync(servesPublicPort: true, [port], []);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Outbox_depth_and_lag_are_sampled_from_the_database()
    {
        var database = await infrastructure.CreateDatabaseAsync("metrics");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "Platform.TestService" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:db", database), new("Telemetry:DatabaseGaugeInterval", "00:00:00.200")]);
        builder.AddServiceDefaults(verifyPlatformIdentity: false);
        builder.AddPlatformDatabase("db", typeof(MetricsTests).Assembly);
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "insert into outbox_messages (message_id, message_type, body, created_at) values (gen_random_uuid(), 'Test', '{}', now() - interval '90 seconds')",
                connection);
            await insert.ExecuteNonQueryAsync();
        }

        var body = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (Sample(body, "platform_outbox_depth") != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            body = await app.Client().GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        Assert.Equal(1, Sample(body, "platform_outbox_depth"));
        Assert.InRange(Sample(body, "platform_outbox_lag_seconds") ?? 0, 89, 200);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>.</summary>
    private static double? Sample(string body, string metric, string label = "")
    {
        var line = body.Split('\n').FirstOrDefault(l =>
            (l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            && l.Contains(label, StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<WebApplication> StartOnPortsAsync(bool servesPublicPort, int[] ports, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "Platform.TestService" });
        builder.WebHost.UseUrls([.. ports.Select(p => $"http://127.0.0.1:{p}")]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults(verifyPlatformIdentity: false);
        var app = builder.Build();
        app.MapDefaultEndpoints(servesPublicPort);
        await app.StartAsync();
        return app;
    }
}
