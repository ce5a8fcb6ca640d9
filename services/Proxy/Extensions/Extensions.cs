using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Platform.Proxy.Forwarding;
using Platform.Proxy.IntegrationEvents.EventHandling;
using Platform.Proxy.Routing;
using Platform.Proxy.Sni;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Proxy.Extensions;

/// <summary>The Proxy service owns the public port: HTTP front door and TLS-SNI passthrough to schedulers.</summary>
public static class Extensions
{
    /// <summary>
    /// The Proxy runs like an nginx worker: one socket event thread, and every socket completion, Kestrel request and
    /// forwarded response runs on it instead of being handed to the thread pool. Each hand-off is a thread wake-up,
    /// and on small virtual machines a wake-up (an inter-processor interrupt) cost more than the forwarding itself.
    /// Measured with the Proxy in its own process (bench/Proxy, 2 vCPUs):
    /// <list type="bullet">
    /// <item>inline socket completions: SNI throughput 48% → 65-73% of direct, added TLS latency 1.0 → 0.6-0.8 ms;</item>
    /// <item>plus one event thread and Kestrel inline (<c>Proxy:InlineScheduling</c>): dashboard requests cost the Proxy
    /// 82 instead of 100 µs of CPU each (20% → 24% of direct); SNI and TLS unchanged.</item>
    /// </list>
    /// Safe because nothing in the Proxy's request path blocks; the price is that the Proxy's I/O uses one core.
    /// Must run before the first socket exists (the runtime reads the variables once); an operator's own settings win.
    /// </summary>
    public static void UseSingleEventLoop()
    {
        foreach (var (variable, value) in new[] { ("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1"), ("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", "1") })
        {
            if (Environment.GetEnvironmentVariable(variable) is null)
            {
                Environment.SetEnvironmentVariable(variable, value);
            }
        }
    }

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp =>
        {
            var routes = new RouteTable(sp.GetRequiredService<TimeProvider>());
            sp.GetRequiredService<IMeterFactory>().Create(PlatformTelemetry.SourceName)
                .CreateObservableGauge("platform.proxy.routes", () => routes.Count, "{route}", "Clusters the Proxy routes to");
            return routes;
        });
        services.AddSingleton<SniRouter>();
        services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = builder.Configuration.GetValue("Proxy:InlineScheduling", true));
        services.AddHttpForwarderWithServiceDiscovery();
        services.AddSingleton<BackendForwarding>();
        services.AddOptions<ForwardAuthOptions>().BindConfiguration("Proxy:ForwardAuth");
        services.AddOptions<RouteSyncOptions>().BindConfiguration("Proxy:Routes");
        // Retries here repeat only the Proxy's own question to Auth or Clusters, never a user's request (the forwarder has none).
        services.AddHttpClient(nameof(ForwardAuth), c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false })
            .AddServiceResilience(TimeSpan.FromSeconds(10));
        services.AddHttpClient(nameof(RouteTableSync), c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false })
            .AddServiceResilience(TimeSpan.FromSeconds(10));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ForwardAuth>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ForwardAuth))));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RouteTableSync>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(RouteTableSync))));
        services.AddHostedService(sp => sp.GetRequiredService<RouteTableSync>());

        // Every Proxy instance needs every cluster event, so its queues are its own and vanish with it (routes are
        // rebuilt from Clusters at start-up); the handlers only add or remove routes, so redelivery is harmless.
        var instance = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant();
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<ClusterRunningHandler>().Endpoint(e => { e.InstanceId = instance; e.Temporary = true; });
            bus.AddConsumer<ClusterStoppedHandler>().Endpoint(e => { e.InstanceId = instance; e.Temporary = true; });
            bus.AddConsumer<ClusterFailedHandler>().Endpoint(e => { e.InstanceId = instance; e.Temporary = true; });
        });

        services.AddOptions<KestrelServerOptions>().Configure<SniRouter, IConfiguration>(ConfigurePublicPort);
    }

    public static WebApplication MapProxy(this WebApplication app)
    {
        app.MapDefaultEndpoints(publicPort: true);
        Apis.ProxyApi.MapProxyApi(app);
        app.MapDashboards();
        app.MapApiForwarding();
        return app;
    }

    /// <summary>
    /// Every HTTP endpoint first passes the SNI router; with <c>Proxy:Certificate:Path</c> it then speaks HTTPS.
    /// <c>Proxy:SniPort</c> adds a port that only splices (everything else is closed).
    /// </summary>
    private static void ConfigurePublicPort(KestrelServerOptions kestrel, SniRouter router, IConfiguration configuration)
    {
        var certificate = LoadCertificate(configuration);
        var sniPort = configuration.GetValue<int?>("Proxy:SniPort") ?? 0;
        var metricsPort = configuration.GetValue<int?>(MetricsEndpoint.PortKey) ?? 0;
        kestrel.ConfigureEndpointDefaults(listen =>
        {
            // The metrics port is plain HTTP for Prometheus only; the SNI port only splices.
            if ((sniPort > 0 && listen.IPEndPoint?.Port == sniPort) || (metricsPort > 0 && listen.IPEndPoint?.Port == metricsPort))
            {
                return;
            }

            listen.Use(next => connection => router.OnConnectionAsync(connection, next, otherTlsToNext: certificate is not null));
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }

            // These endpoint defaults replace ServiceDefaults' own, which add the same.
            listen.UseJsonRejections();
        });

        if (sniPort > 0)
        {
            var address = IPAddress.Parse(configuration["Proxy:SniAddress"] ?? "0.0.0.0");
            kestrel.Listen(address, sniPort, listen => listen.Use(_ => connection => router.OnConnectionAsync(connection, null, otherTlsToNext: false)));
        }
    }

    private static X509Certificate2? LoadCertificate(IConfiguration configuration)
    {
        var path = configuration["Proxy:Certificate:Path"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var keyPath = configuration["Proxy:Certificate:KeyPath"];
        var password = configuration["Proxy:Certificate:Password"];
        return path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
            : X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);
    }
}
