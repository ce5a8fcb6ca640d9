using Npgsql;
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

    // The version of each plugin that failed to load, so the periodic sync does not reload a broken package every tick.
    private readonly Dictionary<string, string> failed = new(StringComparer.Ordinal);

    public void Dispose() => changes.Dispose();

    public static bool OffersAuthenticators(IReadOnlyList<string> capabilities) => capabilities.Contains(PluginCapabilities.Authenticators, StringComparer.Ordinal);

    /// <summary>Makes the loaded state of plugin <paramref name="name"/> match its row; a version that failed before is retried only when asked.</summary>
    public Task ApplyAsync(string name, CancellationToken cancellationToken) => ApplyAsync(name, retryFailed: true, cancellationToken);

    private async Task ApplyAsync(string name, bool retryFailed, CancellationToken cancellationToken)
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

            if (loaded?.Version == version || (!retryFailed && failed.GetValueOrDefault(name) == version))
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
                failed[name] = version;
                if (loaded is not null)
                {
                    await host.DeactivateAsync(name);
                }

                return;
            }

            failed.Remove(name);
            await host.ActivateAsync(plugin);
        }
        finally
        {
            changes.Release();
        }
    }

    /// <summary>
    /// Brings every plugin in line with its row: at start, and then periodically, because a bus event reaches one replica
    /// of Auth (they share the queue) and the others learn of it from the table. One that fails is logged and left as is.
    /// </summary>
    public async Task ApplyAllAsync(CancellationToken cancellationToken)
    {
        var names = (await store.ListNamesAsync(cancellationToken))
            .Union(host.Active.Where(p => p.Source == PluginSources.Registry).Select(p => p.Name), StringComparer.Ordinal);
        foreach (var name in names)
        {
            try
            {
                await ApplyAsync(name, retryFailed: false, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Plugin {Plugin} could not be brought in line with the registry", name);
            }
        }
    }
}

/// <summary>
/// Loads the registry's enabled authenticator plugins and the extensions folder's at start, then keeps this replica in
/// line with <c>plugin_packages</c> every <c>Auth:PluginSyncInterval</c> (5 s); unloads them all at shutdown.
/// </summary>
public sealed class AuthenticatorPluginStartup(
    ExtensionsFolder extensions,
    AuthenticatorPlugins plugins,
    PluginHost host,
    IConfiguration configuration,
    ILogger<AuthenticatorPluginStartup> logger) : BackgroundService
{
    private readonly TimeSpan interval = configuration.GetValue("Auth:PluginSyncInterval", TimeSpan.FromSeconds(5));

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The registry first, as in the Plugins service: an extension package of the same name then gives way to it.
        await plugins.ApplyAllAsync(cancellationToken);
        await extensions.LoadAsync(registrations => registrations.Authenticators.Count > 0, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await host.UnloadAllAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await plugins.ApplyAllAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The database away (restarting, say) must not stop Auth: the next round syncs again.
                logger.LogWarning("Syncing authenticator plugins with the registry failed ({Error}); retrying in {Interval}", e.Message, interval);
            }
        }
    }
}
