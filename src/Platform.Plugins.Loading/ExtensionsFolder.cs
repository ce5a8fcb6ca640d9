using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Plugins.Loading;

/// <summary>
/// The packages in <c>Plugins:ExtensionsPath</c> (Dask Gateway's extensions folder; a mounted ConfigMap on Kubernetes),
/// loaded and activated at start. A broken package is logged and skipped; the registry's plugin of the same name wins.
/// </summary>
public sealed class ExtensionsFolder(PluginHost host, IOptions<PluginLoadingSettings> settings, ILogger<ExtensionsFolder> logger)
{
    /// <summary>Loads each package; one whose registrations <paramref name="wanted"/> rejects (nothing this service hosts) is unloaded again.</summary>
    public async Task LoadAsync(Func<PluginRegistrations, bool>? wanted, CancellationToken cancellationToken)
    {
        var folder = settings.Value.ExtensionsPath;
        if (string.IsNullOrWhiteSpace(folder))
        {
            return;
        }

        if (!Directory.Exists(folder))
        {
            logger.LogWarning("Plugins:ExtensionsPath {Folder} does not exist; no extension plugins loaded", folder);
            return;
        }

        // A ConfigMap mounts files through ..data symlinks; the .nupkg names are what count.
        foreach (var path in Directory.EnumerateFiles(folder, "*.nupkg").Order(StringComparer.Ordinal))
        {
            var inspection = PackageInspector.Inspect(await File.ReadAllBytesAsync(path, cancellationToken), settings.Value.MaxPackageBytes);
            if (inspection.Package is null)
            {
                logger.LogError("Extension package {Path} is not usable: {Problem}", path, inspection.Problem);
                continue;
            }

            var load = await host.LoadAsync(inspection.Package, PluginSources.Extensions, cancellationToken);
            if (load.Plugin is not { } plugin)
            {
                logger.LogError("Extension package {Path} could not be loaded: {Problem}", path, load.Problem);
                continue;
            }

            if (wanted is not null && !wanted(plugin.Registrations))
            {
                logger.LogDebug("Extension package {Path} ({Plugin}) offers nothing this service hosts; not kept", path, plugin.Name);
                await host.UnloadAsync(plugin);
                continue;
            }

            if (host.Find(plugin.Name) is { Source: PluginSources.Registry })
            {
                logger.LogError("Extension package {Path} names plugin {Plugin}, which is installed in the registry; the registry's wins", path, plugin.Name);
                await host.UnloadAsync(plugin);
                continue;
            }

            await host.ActivateAsync(plugin);
        }
    }
}
