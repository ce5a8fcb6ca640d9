namespace Platform.Clusters.Lifecycle;

/// <summary>
/// Wakes requests waiting for a cluster to change (<c>GET …?wait</c>) as soon as this instance commits a
/// transition. Waiters also re-read on their own every second, which covers changes made by another replica.
/// An entry exists only while someone watches its name: any caller can ask about any name, so an entry per
/// name asked about would grow without bound.
/// </summary>
public sealed class ClusterChangeSignal
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Waiters> watched = new(StringComparer.Ordinal);

    /// <summary>Names with at least one watcher; what the soak tests bound.</summary>
    public int WatchedNames
    {
        get
        {
            lock (gate)
            {
                return watched.Count;
            }
        }
    }

    /// <summary>
    /// Starts watching <paramref name="name"/>: <see cref="ClusterWatch.Changed"/> completes at its next change.
    /// Take it before reading the state, so no change is missed; dispose it when done waiting.
    /// </summary>
    public ClusterWatch Watch(string name)
    {
        lock (gate)
        {
            if (!watched.TryGetValue(name, out var waiters))
            {
                waiters = new Waiters();
                watched[name] = waiters;
            }

            waiters.Count++;
            return new ClusterWatch(waiters.Changed.Task, () => Leave(name, waiters));
        }
    }

    public void Notify(string name)
    {
        Waiters? waiters;
        lock (gate)
        {
            if (!watched.Remove(name, out waiters))
            {
                return;
            }
        }

        waiters.Changed.TrySetResult();
    }

    private void Leave(string name, Waiters waiters)
    {
        lock (gate)
        {
            // After a Notify the name may be watched again by newer waiters; only the last of this generation removes it.
            if (--waiters.Count == 0 && watched.TryGetValue(name, out var current) && ReferenceEquals(current, waiters))
            {
                watched.Remove(name);
            }
        }
    }

    private sealed class Waiters
    {
        public TaskCompletionSource Changed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }

    /// <summary>One caller's interest in one cluster's next change.</summary>
    public sealed class ClusterWatch : IDisposable
    {
        private Action? leave;

        internal ClusterWatch(Task changed, Action leave)
        {
            Changed = changed;
            this.leave = leave;
        }

        public Task Changed { get; }

        public void Dispose() => Interlocked.Exchange(ref leave, null)?.Invoke();
    }
}
