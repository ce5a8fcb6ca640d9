using Microsoft.Extensions.Options;
using Platform.Plugins.Model;
using Platform.Plugins.Registry;

namespace Platform.Plugins.Loading;

/// <summary>
/// Loads the registry's enabled plugins and the extensions folder's packages before the bus starts, so the first event
/// consumed already sees every handler; unloads them all at shutdown.
/// </summary>
public sealed class PluginStartup(PluginRegistry registry, PluginHost host, IOptions<PluginSettings> settings, ILogger<PluginStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.LoadEnabledAsync(cancellationToken);
        await LoadExtensionsAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => host.UnloadAllAsync();

    private async Task LoadExtensionsAsync(CancellationToken cancellationToken)
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
