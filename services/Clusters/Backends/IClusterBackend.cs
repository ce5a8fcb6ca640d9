using Platform.Clusters.Model;

namespace Platform.Clusters.Backends;

/// <summary>
/// Where a cluster's scheduler and workers run (local processes now, Kubernetes pods next). The lifecycle decides
/// what should happen; a backend makes it so and reports what it sees. Calls for one cluster are never concurrent.
/// </summary>
public interface IClusterBackend
{
    /// <summary>
    /// Starts the scheduler and returns once it reports its addresses. On failure or when
    /// <see cref="ClusterLaunch.StartTimeout"/> passes, cleans up and throws <see cref="ClusterStartException"/>
    /// whose message ends with the tail of the scheduler's log.
    /// </summary>
    Task<ClusterEndpoints> StartAsync(ClusterLaunch launch, CancellationToken cancellationToken);

    /// <summary>Observes a running cluster and moves its workers towards <paramref name="workers"/> (starting, or retiring gracefully).</summary>
    Task<ClusterObservation> ReconcileAsync(ClusterLaunch launch, int workers, CancellationToken cancellationToken);

    /// <summary>Stops every process of the cluster; idempotent, also for a cluster this instance never started.</summary>
    Task StopAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Stops every process this backend started or finds recorded, without the database: the last step of a shutdown
    /// that was asked to stop every cluster.
    /// </summary>
    Task StopAllAsync(CancellationToken cancellationToken);

    /// <summary>
    /// After a service restart: takes over a cluster whose scheduler is still running (checking it is the same
    /// process, not a reused PID). Returns false, having cleaned up what was left, when it is not.
    /// </summary>
    Task<bool> AdoptAsync(ClusterLaunch launch, CancellationToken cancellationToken);

    /// <summary>The processes (or pods) of a cluster, for the platform details API.</summary>
    IReadOnlyList<ClusterProcessInfo> Describe(string name);

    /// <summary>Names of the logs kept for a cluster (<c>scheduler</c>, <c>worker-1</c>, …).</summary>
    IReadOnlyList<string> LogNames(string name);

    /// <summary>The last <paramref name="lines"/> lines of a log, or null when there is no such log.</summary>
    Task<string?> ReadLogAsync(string name, string log, int lines, CancellationToken cancellationToken);

    /// <summary>Deletes what is kept of a stopped cluster (its logs); idempotent.</summary>
    Task ForgetAsync(string name, CancellationToken cancellationToken);
}

/// <summary>Everything a backend needs to run a cluster.</summary>
public sealed record ClusterLaunch(string Name, string TlsCert, string TlsKey, WorkerResources Resources, TimeSpan StartTimeout)
{
    /// <summary>The platform user the cluster belongs to, whose account runs it.</summary>
    public string Owner { get; init; } = "";
}

/// <summary>Where a started scheduler listens (TLS, for Dask clients and workers) and serves its dashboard (HTTP).</summary>
public sealed record ClusterEndpoints(string SchedulerAddress, string DashboardAddress);

/// <summary>What a backend saw of a running cluster.</summary>
public sealed record ClusterObservation
{
    /// <summary>Why the cluster can no longer run (scheduler gone), with the scheduler log's tail; null while healthy.</summary>
    public string? SchedulerFailure { get; init; }

    /// <summary>Workers registered at the scheduler and not being retired.</summary>
    public int RegisteredWorkers { get; init; }

    /// <summary>The scheduler's own estimate of the workers its current load needs.</summary>
    public int AdaptiveTarget { get; init; }

    /// <summary>How long the scheduler has had no tasks to run.</summary>
    public TimeSpan Idle { get; init; }

    /// <summary>Worker processes that exited unexpectedly since a worker last registered successfully.</summary>
    public int ConsecutiveWorkerFailures { get; init; }

    /// <summary>Descriptions of worker failures seen in this observation, for the timeline.</summary>
    public IReadOnlyList<string> NewWorkerFailures { get; init; } = [];
}

public sealed record ClusterProcessInfo(string Role, string Name, int ProcessId, bool Alive);

/// <summary>A cluster could not be started; the message says why and carries the scheduler log's tail.</summary>
public sealed class ClusterStartException(string message) : Exception(message);
