namespace Platform.Hosting.Orchestration;

/// <summary>
/// The start order of resources: a resource starts after everything it waits for or takes a connection
/// string from. Layers hold resources that can start (or stop) together; stopping walks the layers backwards.
/// </summary>
public sealed class ResourceGraph
{
    private ResourceGraph(IReadOnlyList<IReadOnlyList<Resource>> layers) => Layers = layers;

    public IReadOnlyList<IReadOnlyList<Resource>> Layers { get; }

    public IEnumerable<IReadOnlyList<Resource>> StopLayers => Layers.Reverse();

    public static ResourceGraph Build(IReadOnlyList<Resource> resources)
    {
        var known = resources.ToHashSet();
        foreach (var resource in resources)
        {
            var unknown = resource.StartsAfter.FirstOrDefault(d => !known.Contains(d));
            if (unknown is not null)
                throw new InvalidOperationException($"'{resource.Name}' depends on '{unknown.Name}', which was not added to this application.");
        }

        var layers = new List<IReadOnlyList<Resource>>();
        var placed = new HashSet<Resource>();
        while (placed.Count < resources.Count)
        {
            // Keep declaration order within a layer so output and tables read like Program.cs.
            var layer = resources.Where(r => !placed.Contains(r) && r.StartsAfter.All(placed.Contains)).ToList();
            if (layer.Count == 0)
            {
                var cycle = resources.Where(r => !placed.Contains(r)).Select(r => r.Name);
                throw new InvalidOperationException($"Resources wait for each other in a cycle: {string.Join(", ", cycle)}.");
            }
            layers.Add(layer);
            placed.UnionWith(layer);
        }
        return new ResourceGraph(layers);
    }
}
