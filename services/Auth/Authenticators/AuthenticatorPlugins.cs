using Platform.Auth.Infrastructure;
using Platform.Plugins.Loading;
using Platform.Plugins.Sdk;

namespace Platform.Auth.Authenticators;

/// <summary>
/// Keeps this process's plugins in step with <c>plugin_packages</c>: an enabled plugin that offers authenticators is
/// loaded from the object store into its own collectible context; a disabled, removed or authenticator-less one is
/// unloaded. Which loaded authenticators are asked is still <c>Auth:Type</c>'s choice.
/// </summary>
public sealed class AuthenticatorPlugins(PluginPackageStore store, PluginHost host, ILogger<AuthenticatorPlugins> logger, StoredPluginPackages? packages = null) : IDisposable
{
    // One change at a time: two events for one plugin handled at once could activate a stale version.
    private readonly SemaphoreSlim changes = new(1, 1);

    public void Dispose() => changes.Dispose();

    public static bool OffersAuthenticators(IReadOnlyList<string> capabilities) => capabilities.Contains(PluginCapabilities.Authenticators, StringComparer.Ordinal);

    /// <summary>Makes the loaded state of plugin <paramref name="name"/> match its row.</summary>
    public async Task ApplyAsync(string name, CancellationToken cancellationToken)
    {
        await changes.WaitAsync(cancellationToken);
        try
        {
            var row = await store.GetAsync(name, cancellationToken);
            var loaded = host.Find(name);
            if (loaded is { Source: PluginSources.Extensions })
            {
                // The Plugins service refuses to install a plugin named like an extension, so this is a misconfiguration.
                logger.LogWarning("Plugin {Plugin} is loaded from the extensions folder; the registry's events for it are ignored", name);
                return;
            }

            if (row is not { Enabled: true, Version: { } version, PackageKey: { } packageKey } || !OffersAuthenticators(row.Capabilities))
            {
                if (loaded is not null)
                {
                    await host.DeactivateAsync(name);
                }

                return;
            }

            if (loaded?.Version == version)
            {
                return;
            }

            if (packages is null)
            {
                logger.LogError("Plugin {Plugin} {Version} offers authenticators but Auth has no object store (ConnectionStrings:objects); it stays unloaded", name, version);
                return;
            }

            var load = await packages.LoadAsync(name, version, packageKey, cancellationToken);
            if (load.Plugin is not { } plugin)
            {
                // Left unloaded, its authenticators refuse everything (fail closed) until a working version arrives.
                logger.LogError("Plugin {Plugin} {Version} could not be loaded: {Problem}", name, version, load.Problem);
                if (loaded is not null)
                {
                    await host.DeactivateAsync(name);
                }

                return;
            }

            await host.ActivateAsync(plugin);
        }
        finally
        {
            changes.Release();
        }
    }

    /// <summary>At start: every enabled plugin with authenticators; one that fails is logged and left out.</summary>
    public async Task LoadEnabledAsync(CancellationToken cancellationToken)
    {
        foreach (var row in await store.ListEnabledAsync(cancellationToken))
        {
            try
            {
                await ApplyAsync(row.Name, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Plugin {Plugin} could not be loaded at start", row.Name);
            }
        }
    }
}

/// <summary>Loads the registry's enabled authenticator plugins and the extensions folder's at start; unloads them at shutdown.</summary>
public sealed class AuthenticatorPluginStartup(ExtensionsFolder extensions, AuthenticatorPlugins plugins, PluginHost host) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The registry first, as in the Plugins service: an extension package of the same name then gives way to it.
        await plugins.LoadEnabledAsync(cancellationToken);
        await extensions.LoadAsync(registrations => registrations.Authenticators.Count > 0, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => host.UnloadAllAsync();
}
