using System.Text.Json;
using Platform.Clusters.Backends;
using Platform.Clusters.Model;

namespace Platform.Clusters.Apis;

/// <summary><c>GET /api/platform/clusters/{name}</c>: what the platform knows beyond dask-gateway's shape.</summary>
public sealed record ClusterDetails(
    string Name,
    string Owner,
    IReadOnlyList<string> Groups,
    string Status,
    JsonElement Options,
    WorkerResourcesView Workers,
    AdaptiveView Adaptive,
    string? SchedulerAddress,
    string? DashboardAddress,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyList<ClusterProcessInfo> Processes,
    IReadOnlyList<string> Logs,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations)
{
    public static ClusterDetails From(ClusterRecord cluster, IReadOnlyList<ClusterEvent> timeline, IReadOnlyList<ClusterProcessInfo> processes, IReadOnlyList<string> logs)
    {
        using var options = JsonDocument.Parse(cluster.OptionsJson);
        var resources = cluster.Resources;
        return new ClusterDetails(
            cluster.Name,
            cluster.Owner,
            cluster.Groups,
            cluster.State.ToWireName(),
            options.RootElement.Clone(),
            new WorkerResourcesView(cluster.RequestedWorkers, cluster.RunningWorkers, cluster.MaxWorkers, resources.Cores, resources.MemoryBytes, resources.Threads, [.. resources.Environment.Keys]),
            new AdaptiveView(cluster.Adaptive.Active, cluster.Adaptive.Minimum, cluster.Adaptive.Maximum),
            cluster.SchedulerAddress,
            cluster.DashboardAddress,
            cluster.FailureReason,
            cluster.CreatedAt,
            cluster.StartedAt,
            cluster.StoppedAt,
            [.. timeline.Select(e => new TimelineEntry(e.At, e.State.ToWireName(), e.Kind, e.Message))],
            processes,
            logs,
            cluster.Labels,
            cluster.Annotations);
    }
}

/// <summary>Workers asked for, registered at the scheduler, the most allowed, and each worker's size. Environment values are not shown (they may hold secrets).</summary>
public sealed record WorkerResourcesView(int Requested, int Running, int Maximum, double Cores, long MemoryBytes, int Threads, IReadOnlyList<string> EnvironmentVariables);

public sealed record AdaptiveView(bool Active, int Minimum, int Maximum);

public sealed record TimelineEntry(DateTimeOffset At, string Status, string Kind, string? Message);
