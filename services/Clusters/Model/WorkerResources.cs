namespace Platform.Clusters.Model;

/// <summary>What each worker of a cluster gets, and the cluster's timeouts, resolved from its options.</summary>
public sealed record WorkerResources
{
    public double Cores { get; init; } = 1;
    public long MemoryBytes { get; init; } = 512L * 1024 * 1024;
    public int Threads { get; init; } = 1;

    /// <summary>Environment variables set for the scheduler and every worker.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Seconds without tasks after which the cluster is stopped; null means the configured limit.</summary>
    public double? IdleTimeoutSeconds { get; init; }

    /// <summary>Seconds the scheduler may take to come up; null means the configured default.</summary>
    public double? StartTimeoutSeconds { get; init; }

    public double MemoryGiB => MemoryBytes / (double)(1L << 30);
}
