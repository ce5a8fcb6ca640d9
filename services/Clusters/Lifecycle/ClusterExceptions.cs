namespace Platform.Clusters.Lifecycle;

/// <summary>A request would go over a quota; the message names the user or group and the limit (HTTP 422).</summary>
public sealed class QuotaExceededException(string message) : Exception(message);

/// <summary>The cluster is not RUNNING, so it cannot be scaled or adapted (HTTP 409, as dask-gateway).</summary>
public sealed class ClusterNotRunningException(string message) : Exception(message);

/// <summary>A request the service cannot act on (HTTP 422).</summary>
public sealed class InvalidClusterRequestException(string message) : Exception(message);
