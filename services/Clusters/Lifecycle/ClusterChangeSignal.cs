using System.Collections.Concurrent;

namespace Platform.Clusters.Lifecycle;

/// <summary>
/// Wakes requests waiting for a cluster to change (<c>GET …?wait</c>) as soon as this instance commits a
/// transition. Waiters also re-read on their own every second, which covers changes made by another replica.
/// </summary>
public sealed class ClusterChangeSignal
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> next = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next change of <paramref name="name"/>. Take it before reading the state, so no change is missed.</summary>
    public Task NextChange(string name) =>
        next.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(string name)
    {
        if (next.TryRemove(name, out var waiters))
        {
            waiters.TrySetResult();
        }
    }
}
