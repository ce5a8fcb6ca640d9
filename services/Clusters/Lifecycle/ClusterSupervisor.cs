using Microsoft.Extensions.Options;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Model;

namespace Platform.Clusters.Lifecycle;

/// <summary>
/// Recovers clusters after a restart, then every <c>Clusters:ReconcileInterval</c> (or at once after a scale) has
/// the lifecycle supervise each RUNNING cluster, all clusters concurrently.
/// </summary>
public sealed class ClusterSupervisor(
    ClusterLifecycle lifecycle,
    ClusterStore store,
    IOptions<ClusterSettings> settings,
    ILogger<ClusterSupervisor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await lifecycle.RecoverAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Recovering clusters after start-up failed");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var running = (await store.ListActiveAsync(stoppingToken)).Where(c => c.State == ClusterState.Running);
                await Task.WhenAll(running.Select(cluster => SuperviseOneAsync(cluster, stoppingToken)));
                await lifecycle.WaitForWakeAsync(settings.Value.ReconcileInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Cluster supervision round failed ({Error}); retrying", e.Message);
                await Task.Delay(settings.Value.ReconcileInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        lifecycle.CancelStarts();
        await base.StopAsync(cancellationToken);
        if (settings.Value.StopClustersOnShutdown)
        {
            await lifecycle.StopAllAsync("The service is shutting down.", cancellationToken);
        }
        else
        {
            await lifecycle.DrainAsync(cancellationToken);
        }
    }

    private async Task SuperviseOneAsync(ClusterRecord cluster, CancellationToken cancellationToken)
    {
        try
        {
            await lifecycle.SuperviseAsync(cluster, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Supervising cluster {Cluster} failed", cluster.Name);
        }
    }
}
