namespace Platform.Clusters.Model;

/// <summary>Per-cluster bounds (<c>Clusters:Limits</c>). Unset means unbounded.</summary>
public sealed class ClusterLimits
{
    public int? MaxWorkers { get; set; }
    public double? MaxCores { get; set; }
    public double? MaxMemoryGiB { get; set; }

    /// <summary>A cluster with no tasks for this long is stopped; a cluster's <c>idle_timeout</c> option may only shorten it.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>A cluster older than this is stopped, whatever it is doing.</summary>
    public TimeSpan? MaxLifetime { get; set; }

    /// <summary>
    /// The most workers one cluster may have: the tightest of the worker, core and memory limits for workers
    /// of this size (dask-gateway's <c>cluster_max_workers</c>).
    /// </summary>
    public int MaxWorkersFor(WorkerResources resources)
    {
        var max = MaxWorkers ?? int.MaxValue;
        if (MaxCores is { } cores && resources.Cores > 0)
        {
            max = Math.Min(max, (int)Math.Floor(cores / resources.Cores + 1e-9));
        }

        if (MaxMemoryGiB is { } memory && resources.MemoryBytes > 0)
        {
            max = Math.Min(max, (int)Math.Floor(memory / resources.MemoryGiB + 1e-9));
        }

        return Math.Max(0, max);
    }

    /// <summary>The idle timeout that applies to a cluster: the shorter of the limit and the cluster's own option (0 = none).</summary>
    public TimeSpan? IdleTimeoutFor(WorkerResources resources)
    {
        var own = resources.IdleTimeoutSeconds is > 0 ? TimeSpan.FromSeconds(resources.IdleTimeoutSeconds.Value) : (TimeSpan?)null;
        return (own, IdleTimeout) switch
        {
            (null, var limit) => limit is { TotalSeconds: > 0 } ? limit : null,
            (var mine, null) => mine,
            (var mine, var limit) => limit.Value.TotalSeconds > 0 && limit < mine ? limit : mine,
        };
    }
}
