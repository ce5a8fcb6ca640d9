using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Platform.Hosting.Infrastructure;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.ServiceDefaults.Telemetry;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>The Proxy's own port is the platform's public port: its metrics are served only on the metrics port.</summary>
[Collection(ProxyCollection.Name)]
public sealed class MetricsPortTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private readonly int metricsPort = FreePort.Pick();
    private StandInBackend clusters = null!;
    private ProxyServiceHost proxy = null!;

    public Task InitializeAsync()
    {
        // Every unknown path of the API answers like a backend would: a public /metrics must not reach one either.
        clusters = new StandInBackend(app => app.Map("/{**rest}", StandInBackend.EchoAsync));
        proxy = ProxyServiceHost.Start(infrastructure, new Dictionary<string, string?>
        {
            ["services:clusters:http:0"] = clusters.Address.ToString(),
            [MetricsEndpoint.PortKey] = metricsPort.ToString(CultureInfo.InvariantCulture),
        });
        proxy.Routes.Add(ClusterRoute.TryCreate("m1", "alice", "tls://127.0.0.1:1", null)!, DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await clusters.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_are_not_reachable_through_the_public_port()
    {
        using var client = proxy.Client();
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Host = $"127.0.0.1:{metricsPort}" } };

        using var plain = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var withHost = await client.SendAsync(spoofed);

        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withHost.StatusCode);
        Assert.DoesNotContain("platform_proxy_routes", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_metrics_port_serves_the_proxys_route_gauge_in_prometheus_text()
    {
        using var http = new HttpClient();

        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

        Assert.Contains("# TYPE platform_proxy_routes gauge", body, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", body, StringComparison.Ordinal);
    }
}
