namespace Platform.Clusters.Model;

/// <summary>The <c>Clusters</c> configuration section (options, limits and quotas are read separately).</summary>
public sealed class ClusterSettings
{
    public const string SectionName = "Clusters";

    /// <summary>Where the local backend keeps certificates, process records and logs, one folder per cluster.</summary>
    public string DataDirectory { get; set; } = "data/clusters";

    /// <summary>
    /// <c>local</c>: processes on this machine, each user's as their own account (needs root; otherwise clusters are
    /// refused). <c>unsafe-local</c>: as the service's own account, with no isolation between users: development only.
    /// </summary>
    public string Backend { get; set; } = "local";

    public string SchedulerExecutable { get; set; } = "/usr/bin/dask-scheduler";
    public string WorkerExecutable { get; set; } = "/usr/bin/dask-worker";

    /// <summary>How long a scheduler may take to report its address before the cluster fails.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long processes get to exit after SIGTERM before they are killed.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often running clusters are observed and their workers brought to the requested count.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Worker processes that may exit unexpectedly in a row (no worker registering in between) before the cluster fails.</summary>
    public int MaxWorkerFailures { get; set; } = 3;

    /// <summary>How long <c>GET /api/v1/clusters/{name}?wait</c> blocks for a PENDING cluster (dask-gateway: 20 s).</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Clusters started at the same time; more wait their turn (each scheduler start is CPU-bound for about a second).</summary>
    public int MaxConcurrentStarts { get; set; } = Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>Observations of the scheduler's adaptive target that must all ask for fewer workers before adaptive scaling scales down.</summary>
    public int AdaptiveWindow { get; set; } = 3;

    /// <summary>Stop every cluster when the service stops (tests, single-user runs); by default clusters outlive a restart and are adopted.</summary>
    public bool StopClustersOnShutdown { get; set; }

    /// <summary>How long a STOPPED or FAILED cluster stays listed (with its timeline and logs) before it is purged.</summary>
    public TimeSpan FinishedClusterRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often finished clusters past their retention are looked for.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lines of a log kept in a failure reason.</summary>
    public int FailureLogLines { get; set; } = 20;
}
