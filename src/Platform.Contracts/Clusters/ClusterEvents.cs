namespace Platform.Contracts.Clusters;

/// <summary>A user asked for a cluster and it was recorded as PENDING.</summary>
public sealed record ClusterCreated(
    string ClusterName,
    string Owner,
    IReadOnlyDictionary<string, string> Options,
    DateTimeOffset CreatedAt);

/// <summary>The cluster's scheduler is up; the Proxy adds its SNI and dashboard routes from these addresses.</summary>
public sealed record ClusterRunning(
    string ClusterName,
    string Owner,
    string SchedulerAddress,
    string DashboardAddress,
    DateTimeOffset StartedAt);

/// <summary>The number of requested workers changed (scale or adapt).</summary>
public sealed record ClusterScaled(
    string ClusterName,
    string Owner,
    int RequestedWorkers,
    DateTimeOffset ScaledAt);

/// <summary>The cluster was asked to stop; its workers and scheduler are being shut down.</summary>
public sealed record ClusterStopping(
    string ClusterName,
    string Owner,
    DateTimeOffset StoppingAt);

/// <summary>Every process of the cluster has exited.</summary>
public sealed record ClusterStopped(
    string ClusterName,
    string Owner,
    DateTimeOffset StoppedAt);

/// <summary>The cluster could not start or died; <paramref name="Reason"/> holds the tail of the scheduler's log.</summary>
public sealed record ClusterFailed(
    string ClusterName,
    string Owner,
    string Reason,
    DateTimeOffset FailedAt);
