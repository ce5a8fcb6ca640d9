using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Identity;

namespace Platform.Proxy.Routing;

public sealed class RouteSyncOptions
{
    /// <summary>Events keep the table current; a periodic rebuild repairs whatever a lost event left behind.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the bus is checked for a reconnect (after which events may have been missed).</summary>
    public TimeSpan BusCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Rebuilds the route table from Clusters (<c>GET http://clusters/internal/routes</c> with the proxy token) at
/// start-up, after the bus reconnects, and periodically. The Proxy's event queues are per instance and temporary, so
/// events published while it was away are only recovered here.
/// </summary>
public sealed class RouteTableSync(
    RouteTable routes,
    HttpClient http,
    IBusControl bus,
    TimeProvider time,
    IOptions<RouteSyncOptions> options,
    IOptions<ProxyTokenOptions> proxyToken,
    IConfiguration configuration,
    ILogger<RouteTableSync> logger) : BackgroundService
{
    public const string RoutesPath = "/internal/routes";

    private readonly TaskCompletionSource firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool warnedUnsupported;

    /// <summary>Completes once the table has been rebuilt from Clusters at least once.</summary>
    public Task FirstSync => firstSync.Task;

    public DateTimeOffset? LastSync { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.HasServiceEndpoint("clusters"))
        {
            logger.LogWarning("services:clusters is not configured; routes come from cluster events only");
            return;
        }

        var settings = options.Value;
        var busWasHealthy = true;
        var nextSync = time.GetUtcNow();
        using var timer = new PeriodicTimer(settings.BusCheckInterval, time);
        do
        {
            var busHealthy = bus.CheckHealth().Status == BusHealthStatus.Healthy;
            var reconnected = busHealthy && !busWasHealthy;
            busWasHealthy = busHealthy;
            if (reconnected)
            {
                logger.LogInformation("The bus is back; rebuilding routes in case events were missed");
            }

            if (reconnected || time.GetUtcNow() >= nextSync)
            {
                var synced = await TrySyncAsync(stoppingToken);
                nextSync = time.GetUtcNow() + (synced || warnedUnsupported ? settings.ResyncInterval : settings.RetryInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<bool> TrySyncAsync(CancellationToken cancellationToken)
    {
        // Taken before the request: events handled while it is in flight are newer than the snapshot and win.
        var takenAt = time.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://clusters" + RoutesPath);
            ProxyToken.Attach(request.Headers, proxyToken.Value.Token);

            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                if (!warnedUnsupported)
                {
                    warnedUnsupported = true;
                    logger.LogWarning("Clusters offers no {Path}; routes come from cluster events only", RoutesPath);
                }

                return false;
            }

            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync(RouteSyncJsonContext.Default.ClusterRoutesSnapshot, cancellationToken);
            var snapshot = (body?.Routes ?? [])
                .Select(r => ClusterRoute.TryCreate(r.Name, r.Owner, r.SchedulerAddress, r.DashboardAddress))
                .OfType<ClusterRoute>()
                .ToList();
            routes.Replace(snapshot, takenAt);
            LastSync = takenAt;
            firstSync.TrySetResult();
            logger.LogInformation("Route table rebuilt from Clusters: {Count} clusters", routes.Count);
            return true;
        }
        catch (Exception e) when ((ServiceDiscoveryExtensions.IsUnreachable(e) || e is System.Text.Json.JsonException) && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not rebuild routes from Clusters: {Error}", e.Message);
            return false;
        }
    }
}

[JsonSerializable(typeof(ClusterRoutesSnapshot))]
internal sealed partial class RouteSyncJsonContext : JsonSerializerContext;
