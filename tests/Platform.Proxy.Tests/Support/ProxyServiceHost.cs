using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Infrastructure;
using Platform.Proxy.Routing;
using Platform.ServiceDefaults.Telemetry;
using Platform.Testing;

namespace Platform.Proxy.Tests.Support;

/// <summary>The real Proxy on a real loopback port (Kestrel, not TestServer: the SNI router sits below HTTP), on real RabbitMQ.</summary>
public sealed class ProxyServiceHost : WebApplicationFactory<Program>
{
    public const string ProxyToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private readonly InfrastructureFixture infrastructure;
    private readonly IReadOnlyDictionary<string, string?> settings;

    private ProxyServiceHost(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string?> settings, int port)
    {
        this.infrastructure = infrastructure;
        this.settings = settings;
        Port = port;
        UseKestrel(kestrel =>
        {
            kestrel.Listen(System.Net.IPAddress.Loopback, port);
            if (settings.TryGetValue(MetricsEndpoint.PortKey, out var metricsPort) && metricsPort is not null)
            {
                kestrel.Listen(System.Net.IPAddress.Loopback, int.Parse(metricsPort, System.Globalization.CultureInfo.InvariantCulture));
            }
        });
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public RouteTable Routes => Services.GetRequiredService<RouteTable>();

    public static ProxyServiceHost Start(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string?>? settings = null, int? port = null)
    {
        var host = new ProxyServiceHost(infrastructure, settings ?? new Dictionary<string, string?>(), port ?? FreePort.Pick());
        host.StartServer();
        return host;
    }

    /// <summary>A plain client to the public port that keeps no cookies and follows no redirects.</summary>
    public HttpClient Client() => new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = BaseAddress };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:messaging", infrastructure.RabbitMq.ConnectionString);
        builder.UseSetting("Platform:ServiceName", "proxy-tests");
        builder.UseSetting("Proxy:Token", ProxyToken);
        builder.UseSetting("Proxy:Routes:RetryInterval", "00:00:00.500");
        builder.UseSetting("Proxy:Routes:BusCheckInterval", "00:00:00.200");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
