namespace Platform.Clusters.Model;

/// <summary>Adaptive scaling as the user asked for it; the supervisor follows the scheduler's target within these bounds.</summary>
public sealed record AdaptiveScaling(bool Active, int Minimum, int Maximum);

/// <summary>A cluster as the service knows it (a storage row read back; not a wire shape).</summary>
public sealed record ClusterRecord
{
    public required string Name { get; init; }
    public required string Owner { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public required ClusterState State { get; init; }

    /// <summary>The validated options as JSON text (every field, defaults filled in).</summary>
    public required string OptionsJson { get; init; }

    public required WorkerResources Resources { get; init; }

    /// <summary>The most workers this cluster may have (its per-cluster limits for its worker size).</summary>
    public required int MaxWorkers { get; init; }

    public int RequestedWorkers { get; init; }
    public int RunningWorkers { get; init; }
    public AdaptiveScaling Adaptive { get; init; } = new(false, 0, 0);
    public string? SchedulerAddress { get; init; }
    public string? DashboardAddress { get; init; }
    public required string TlsCert { get; init; }
    public required string TlsKey { get; init; }
    public string? FailureReason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>The owner's labels; carried in every cluster event so plugins' handlers can filter on them.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = ClusterLabels.None;

    /// <summary>What plugins' handlers attached (key → value), shown on the platform API only.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = ClusterLabels.None;

    public bool IsVisibleTo(string user, bool isAdmin) => isAdmin || string.Equals(Owner, user, StringComparison.Ordinal);
}

/// <summary>One entry of a cluster's timeline: a state change or a notable event (scale, worker failure).</summary>
public sealed record ClusterEvent(DateTimeOffset At, ClusterState State, string Kind, string? Message);
