using System.Collections.Concurrent;

namespace Platform.Proxy.Routing;

/// <summary>
/// The running clusters the Proxy can reach, fed by cluster events and rebuilt from Clusters when events may have
/// been missed. Lookups (one per connection or request) are lock-free; changes are rare and serialised.
/// Every change is idempotent, so a redelivered event is harmless; a removal is remembered for a while so a late
/// or redelivered <c>ClusterRunning</c>, or a snapshot taken before the removal, cannot resurrect a dead route.
/// </summary>
public sealed class RouteTable(TimeProvider time)
{
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, ClusterRoute> routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> removedAt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> changedAt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock gate = new();

    public RouteTable()
        : this(TimeProvider.System)
    {
    }

    public int Count => routes.Count;

    public bool TryGet(string name, out ClusterRoute route) => routes.TryGetValue(name, out route!);

    public IReadOnlyList<ClusterRoute> Snapshot() => [.. routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];

    /// <summary>Adds or replaces a route, unless the cluster was removed after <paramref name="startedAt"/>.</summary>
    public bool Add(ClusterRoute route, DateTimeOffset startedAt)
    {
        lock (gate)
        {
            if (removedAt.TryGetValue(route.Name, out var removed) && removed >= startedAt)
            {
                return false;
            }

            routes[route.Name] = route;
            changedAt[route.Name] = time.GetUtcNow();
            return true;
        }
    }

    public bool Remove(string name, DateTimeOffset removedAtEvent)
    {
        lock (gate)
        {
            // A stopped cluster's name is never reused by Clusters; remember the later of the event and now.
            var now = time.GetUtcNow();
            removedAt[name] = removedAtEvent > now ? removedAtEvent : now;
            changedAt.Remove(name);
            PruneTombstones(now);
            return routes.TryRemove(name, out _);
        }
    }

    /// <summary>
    /// Replaces the table with a snapshot from Clusters taken no earlier than <paramref name="takenAt"/>. Changes
    /// made by events after that moment are newer than the snapshot and are kept.
    /// </summary>
    public void Replace(IEnumerable<ClusterRoute> snapshot, DateTimeOffset takenAt)
    {
        lock (gate)
        {
            var fresh = snapshot.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var name in routes.Keys)
            {
                if (!fresh.ContainsKey(name) && !(changedAt.TryGetValue(name, out var changed) && changed > takenAt))
                {
                    routes.TryRemove(name, out _);
                    changedAt.Remove(name);
                }
            }

            foreach (var route in fresh.Values)
            {
                var removedLater = removedAt.TryGetValue(route.Name, out var removed) && removed > takenAt;
                var changedLater = changedAt.TryGetValue(route.Name, out var changed) && changed > takenAt;
                if (!removedLater && !changedLater)
                {
                    routes[route.Name] = route;
                    changedAt[route.Name] = takenAt;
                }
            }

            PruneTombstones(time.GetUtcNow());
        }
    }

    private void PruneTombstones(DateTimeOffset now)
    {
        if (removedAt.Count < 1024)
        {
            return;
        }

        foreach (var (name, at) in removedAt.ToList())
        {
            if (now - at > TombstoneLifetime)
            {
                removedAt.Remove(name);
            }
        }
    }
}
