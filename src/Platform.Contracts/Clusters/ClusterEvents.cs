namespace Platform.Contracts.Clusters;

// Labels are the cluster's (string → string) at the time of the event, so subscribers can filter on them;
// null from a publisher that predates labels.

/// <summary>A user asked for a cluster and it was recorded as PENDING.</summary>
public sealed record ClusterCreated(
    string ClusterName,
    string Owner,
    IReadOnlyDictionary<string, string> Options,
    DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>The cluster's scheduler is up; the Proxy adds its SNI and dashboard routes from these addresses.</summary>
public sealed record ClusterRunning(
    string ClusterName,
    string Owner,
    string SchedulerAddress,
    string DashboardAddress,
    DateTimeOffset StartedAt,
    IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>The number of requested workers changed (scale or adapt).</summary>
public sealed record ClusterScaled(
    string ClusterName,
    string Owner,
    int RequestedWorkers,
    DateTimeOffset ScaledAt,
    IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>The cluster was asked to stop; its workers and scheduler are being shut down.</summary>
public sealed record ClusterStopping(
    string ClusterName,
    string Owner,
    DateTimeOffset StoppingAt,
    IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>Every process of the cluster has exited.</summary>
public sealed record ClusterStopped(
    string ClusterName,
    string Owner,
    DateTimeOffset StoppedAt,
    IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>The cluster could not start or died; <paramref name="Reason"/> holds the tail of the scheduler's log.</summary>
public sealed record ClusterFailed(
    string ClusterName,
    string Owner,
    string Reason,
    DateTimeOffset FailedAt,
    IReadOnlyDictionary<string, string>? Labels = null);
