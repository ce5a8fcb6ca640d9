using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.Plugins.Loading;

/// <summary>Loads an installed plugin version from its package in the object store (where the Plugins service put it).</summary>
public sealed class StoredPluginPackages(IObjectStore objects, PluginHost host)
{
    /// <summary>Loads and initializes the plugin without activating it; a package that is missing or names another plugin is a problem.</summary>
    public async Task<PluginLoadResult> LoadAsync(string name, string version, string packageKey, CancellationToken cancellationToken)
    {
        await using var stream = await objects.GetAsync(packageKey, cancellationToken);
        if (stream is null)
        {
            return new PluginLoadResult(null, $"The package of {name} {version} is missing from the object store ({packageKey}).");
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);

        // Size was checked at upload; a stored package is trusted to be the one the registry accepted.
        var inspection = PackageInspector.Inspect(buffer.ToArray(), long.MaxValue);
        if (inspection.Package is null)
        {
            return new PluginLoadResult(null, inspection.Problem);
        }

        var load = await host.LoadAsync(inspection.Package, PluginSources.Registry, cancellationToken);
        if (load.Plugin is { } plugin && plugin.Name != name)
        {
            await host.UnloadAsync(plugin);
            return new PluginLoadResult(null, $"The stored package names its plugin {plugin.Name}, not {name}.");
        }

        return load;
    }
}
