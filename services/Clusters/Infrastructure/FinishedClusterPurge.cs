using Microsoft.Extensions.Options;
using Platform.Clusters.Backends;
using Platform.Clusters.Model;

namespace Platform.Clusters.Infrastructure;

/// <summary>
/// Deletes clusters that finished more than <see cref="ClusterSettings.FinishedClusterRetention"/> ago, with their
/// timelines and logs, every <see cref="ClusterSettings.PurgeInterval"/>. At start it first seals any TLS key still
/// stored in clear by an earlier version.
/// </summary>
public sealed class FinishedClusterPurge(ClusterStore store, IClusterBackend backend, IOptions<ClusterSettings> options, TimeProvider time, ILogger<FinishedClusterPurge> logger)
    : BackgroundService
{
    /// <summary>One pass: returns the names purged.</summary>
    public async Task<IReadOnlyList<string>> PurgeAsync(CancellationToken cancellationToken)
    {
        var purged = await store.PurgeFinishedAsync(time.GetUtcNow() - options.Value.FinishedClusterRetention, cancellationToken);
        foreach (var name in purged)
        {
            await backend.ForgetAsync(name, cancellationToken);
        }

        if (purged.Count > 0)
        {
            logger.LogInformation("Purged {Count} clusters finished more than {Retention} ago", purged.Count, options.Value.FinishedClusterRetention);
        }

        return purged;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.FinishedClusterRetention <= TimeSpan.Zero || settings.PurgeInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Clusters:FinishedClusterRetention and Clusters:PurgeInterval must be positive.");
        }

        var sealedCount = await store.SealClearKeysAsync(stoppingToken);
        if (sealedCount > 0)
        {
            logger.LogInformation("Sealed {Count} cluster TLS keys stored in clear by an earlier version", sealedCount);
        }

        using var timer = new PeriodicTimer(settings.PurgeInterval, time);
        do
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
            {
                // The next pass tries again; what a pass could not delete is still due then.
                logger.LogWarning("Purging finished clusters failed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
