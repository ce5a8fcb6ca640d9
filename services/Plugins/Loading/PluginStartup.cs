using Platform.Plugins.Registry;

namespace Platform.Plugins.Loading;

/// <summary>
/// Loads the registry's enabled plugins and the extensions folder's packages before the bus starts, so the first event
/// consumed already sees every handler; unloads them all at shutdown.
/// </summary>
public sealed class PluginStartup(PluginRegistry registry, ExtensionsFolder extensions, PluginHost host) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.LoadEnabledAsync(cancellationToken);
        await extensions.LoadAsync(wanted: null, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => host.UnloadAllAsync();
}
