namespace Platform.Clusters.Model;

/// <summary>Where a cluster is in its life. The names are dask-gateway's status names, which clients parse.</summary>
public enum ClusterState
{
    Pending,
    Running,
    Stopping,
    Stopped,
    Failed,
}

public static class ClusterStateNames
{
    /// <summary>States that hold resources and count against quotas (dask-gateway's "active": before STOPPED).</summary>
    public static readonly IReadOnlyList<ClusterState> Active = [ClusterState.Pending, ClusterState.Running, ClusterState.Stopping];

    /// <summary>
    /// What <c>GET /api/v1/clusters/</c> lists without a status filter: dask-gateway lists clusters whose target is
    /// not stopped (<c>is_active</c>: <c>target &lt; STOPPED</c>), so a STOPPING cluster is already gone from it.
    /// </summary>
    public static readonly IReadOnlyList<ClusterState> ListedByDefault = [ClusterState.Pending, ClusterState.Running];

    public static string ToWireName(this ClusterState state) => state switch
    {
        ClusterState.Pending => "PENDING",
        ClusterState.Running => "RUNNING",
        ClusterState.Stopping => "STOPPING",
        ClusterState.Stopped => "STOPPED",
        ClusterState.Failed => "FAILED",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParse(string name, out ClusterState state)
    {
        foreach (var candidate in Enum.GetValues<ClusterState>())
        {
            if (string.Equals(candidate.ToWireName(), name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

    public static ClusterState Parse(string name) =>
        TryParse(name, out var state) ? state : throw new FormatException($"'{name}' is not a valid ClusterStatus");

    public static bool IsActive(this ClusterState state) => state is ClusterState.Pending or ClusterState.Running or ClusterState.Stopping;
}
