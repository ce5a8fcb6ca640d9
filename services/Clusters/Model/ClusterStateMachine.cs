namespace Platform.Clusters.Model;

/// <summary>
/// The only transitions a cluster may make. PENDING → RUNNING → STOPPING → STOPPED, and FAILED from any
/// state that still holds processes. STOPPED and FAILED are final: a cluster is never revived, a new one is made.
/// </summary>
public static class ClusterStateMachine
{
    private static readonly Dictionary<ClusterState, ClusterState[]> Allowed = new()
    {
        [ClusterState.Pending] = [ClusterState.Running, ClusterState.Stopping, ClusterState.Failed],
        [ClusterState.Running] = [ClusterState.Stopping, ClusterState.Failed],
        [ClusterState.Stopping] = [ClusterState.Stopped, ClusterState.Failed],
        [ClusterState.Stopped] = [],
        [ClusterState.Failed] = [],
    };

    public static bool CanTransition(ClusterState from, ClusterState to) => Allowed[from].Contains(to);

    public static bool IsFinal(ClusterState state) => Allowed[state].Length == 0;

    /// <summary>The states from which <paramref name="to"/> can be reached; used as the guard of a conditional update.</summary>
    public static IReadOnlyList<ClusterState> SourcesOf(ClusterState to) =>
        [.. Allowed.Where(pair => pair.Value.Contains(to)).Select(pair => pair.Key)];

    public static void EnsureCanTransition(ClusterState from, ClusterState to)
    {
        if (!CanTransition(from, to))
        {
            throw new InvalidClusterTransitionException(from, to);
        }
    }
}

public sealed class InvalidClusterTransitionException(ClusterState from, ClusterState to)
    : InvalidOperationException($"A cluster cannot go from {from.ToWireName()} to {to.ToWireName()}.")
{
    public ClusterState From { get; } = from;
    public ClusterState To { get; } = to;
}
