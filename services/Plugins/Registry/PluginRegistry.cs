using Microsoft.Extensions.Options;
using NuGet.Versioning;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.Loading;
using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.Plugins.Registry;

public enum RegistryStatus
{
    Ok,
    NotFound,
    Invalid,
    Conflict,
}

/// <summary>What a registry command did: the plugin as it now is, or why nothing changed.</summary>
public sealed record RegistryOutcome(RegistryStatus Status, PluginSummary? Plugin, string? Problem)
{
    public static RegistryOutcome Done(PluginSummary plugin) => new(RegistryStatus.Ok, plugin, null);

    public static RegistryOutcome Refused(RegistryStatus status, string problem) => new(status, null, problem);
}

/// <summary>A plugin as the registry and this process know it.</summary>
public sealed record PluginSummary(
    string Name,
    string Version,
    string? PreviousVersion,
    bool Enabled,
    bool Loaded,
    string Source,
    string PackageId,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Capabilities,
    DateTimeOffset? InstalledAt,
    DateTimeOffset? UpdatedAt);

/// <summary>
/// The commands on installed plugins: install (or upgrade), enable, disable, restore and delete. A command that loads
/// code loads it before committing, so a plugin that cannot initialize is refused and the registry is unchanged.
/// </summary>
public sealed class PluginRegistry(PluginStore store, IObjectStore objects, PluginHost host, StoredPluginPackages packages, IOptions<PluginLoadingSettings> settings, ILogger<PluginRegistry> logger) : IDisposable
{
    // Commands on the registry run one at a time: each reads, loads and commits, and two interleaved could activate a stale version.
    private readonly SemaphoreSlim commands = new(1, 1);

    public void Dispose() => commands.Dispose();

    public async Task<RegistryOutcome> InstallAsync(byte[] content, CancellationToken cancellationToken)
    {
        var inspection = PackageInspector.Inspect(content, settings.Value.MaxPackageBytes);
        if (inspection.Package is not { } package)
        {
            return RegistryOutcome.Refused(RegistryStatus.Invalid, inspection.Problem!);
        }

        var load = await host.LoadAsync(package, PluginSources.Registry, cancellationToken);
        if (load.Plugin is not { } loaded)
        {
            return RegistryOutcome.Refused(RegistryStatus.Invalid, load.Problem!);
        }

        await commands.WaitAsync(cancellationToken);
        LoadedPlugin? unused = loaded;
        try
        {
            if (host.Find(loaded.Name) is { Source: PluginSources.Extensions })
            {
                return RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {loaded.Name} is loaded from the extensions folder; remove it there first.");
            }

            var existing = await store.GetAsync(loaded.Name, cancellationToken);
            if (existing is not null)
            {
                if (await store.GetVersionAsync(loaded.Name, loaded.Version, cancellationToken) is not null)
                {
                    return RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {loaded.Name} {loaded.Version} is already uploaded; upload a higher version, or restore the previous one.");
                }

                if (NuGetVersion.Parse(existing.Version) >= package.Version)
                {
                    return RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {loaded.Name} {loaded.Version} is not higher than the installed {existing.Version}; only upgrades are uploaded, older versions are restored.");
                }
            }

            var key = PluginStore.PackageKey(loaded.Name, loaded.Version);
            await using (var body = new MemoryStream(content, writable: false))
            {
                await objects.PutAsync(key, body, "application/octet-stream", cancellationToken);
            }

            var version = new PluginVersionRow(loaded.Name, loaded.Version, package.PackageId, key, package.SizeBytes, package.Sha256, loaded.Registrations.Capabilities(), DateTimeOffset.UtcNow);
            var row = await store.InstallAsync(version, cancellationToken);
            if (row.Enabled)
            {
                unused = null;
                await host.ActivateAsync(loaded);
            }

            logger.LogInformation("Plugin {Plugin} {Version} installed ({Package}, {Size} bytes)", row.Name, row.Version, package.PackageId, package.SizeBytes);
            return RegistryOutcome.Done(Summarize(row, version));
        }
        finally
        {
            commands.Release();
            if (unused is not null)
            {
                await host.UnloadAsync(unused);
            }
        }
    }

    public Task<RegistryOutcome> EnableAsync(string name, CancellationToken cancellationToken) => UnderLockAsync(async () =>
    {
        if (await store.GetAsync(name, cancellationToken) is not { } row)
        {
            return NotFound(name);
        }

        var version = (await store.GetVersionAsync(name, row.Version, cancellationToken))!;
        if (row.Enabled && host.Find(name)?.Version == row.Version)
        {
            return RegistryOutcome.Done(Summarize(row, version));
        }

        var (loaded, problem) = await LoadStoredAsync(version, cancellationToken);
        if (loaded is null)
        {
            return RegistryOutcome.Refused(RegistryStatus.Invalid, problem!);
        }

        row = (await store.SetEnabledAsync(name, version, true, cancellationToken))!;
        await host.ActivateAsync(loaded);
        return RegistryOutcome.Done(Summarize(row, version));
    });

    public Task<RegistryOutcome> DisableAsync(string name, CancellationToken cancellationToken) => UnderLockAsync(async () =>
    {
        if (await store.GetAsync(name, cancellationToken) is not { } row)
        {
            return host.Find(name) is { Source: PluginSources.Extensions }
                ? RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {name} is loaded from the extensions folder; remove it there.")
                : NotFound(name);
        }

        var version = (await store.GetVersionAsync(name, row.Version, cancellationToken))!;
        row = (await store.SetEnabledAsync(name, version, false, cancellationToken))!;
        await host.DeactivateAsync(name);
        return RegistryOutcome.Done(Summarize(row, version));
    });

    /// <summary>Goes back to the previous version (which is then loaded if the plugin is enabled).</summary>
    public Task<RegistryOutcome> RestoreAsync(string name, CancellationToken cancellationToken) => UnderLockAsync(async () =>
    {
        if (await store.GetAsync(name, cancellationToken) is not { } row)
        {
            return NotFound(name);
        }

        if (row.PreviousVersion is null || await store.GetVersionAsync(name, row.PreviousVersion, cancellationToken) is not { } previous)
        {
            return RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {name} has no previous version to restore.");
        }

        LoadedPlugin? loaded = null;
        if (row.Enabled)
        {
            (loaded, var problem) = await LoadStoredAsync(previous, cancellationToken);
            if (loaded is null)
            {
                return RegistryOutcome.Refused(RegistryStatus.Invalid, problem!);
            }
        }

        row = (await store.RestoreAsync(name, previous, cancellationToken))!;
        if (loaded is not null)
        {
            await host.ActivateAsync(loaded);
        }

        return RegistryOutcome.Done(Summarize(row, previous));
    });

    public Task<RegistryOutcome> DeleteAsync(string name, CancellationToken cancellationToken) => UnderLockAsync(async () =>
    {
        if (await store.GetAsync(name, cancellationToken) is not { } row)
        {
            return host.Find(name) is { Source: PluginSources.Extensions }
                ? RegistryOutcome.Refused(RegistryStatus.Conflict, $"Plugin {name} is loaded from the extensions folder; remove it there.")
                : NotFound(name);
        }

        var version = (await store.GetVersionAsync(name, row.Version, cancellationToken))!;
        await host.DeactivateAsync(name);
        foreach (var key in await store.DeleteAsync(name, cancellationToken))
        {
            await objects.DeleteAsync(key, cancellationToken);
        }

        return RegistryOutcome.Done(Summarize(row with { Enabled = false }, version) with { Loaded = false });
    });

    public async Task<PluginSummary?> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is { } row && await store.GetVersionAsync(name, row.Version, cancellationToken) is { } version)
        {
            return Summarize(row, version);
        }

        return host.Find(name) is { Source: PluginSources.Extensions } extension ? Summarize(extension) : null;
    }

    public async Task<IReadOnlyList<PluginSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var plugins = new List<PluginSummary>();
        foreach (var row in await store.ListAsync(cancellationToken))
        {
            if (await store.GetVersionAsync(row.Name, row.Version, cancellationToken) is { } version)
            {
                plugins.Add(Summarize(row, version));
            }
        }

        plugins.AddRange(host.Active.Where(p => p.Source == PluginSources.Extensions).Select(Summarize));
        return [.. plugins.OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>Loads every enabled plugin of the registry (at start); one that fails is logged and left out.</summary>
    public async Task LoadEnabledAsync(CancellationToken cancellationToken)
    {
        foreach (var row in (await store.ListAsync(cancellationToken)).Where(r => r.Enabled))
        {
            if (await store.GetVersionAsync(row.Name, row.Version, cancellationToken) is not { } version)
            {
                continue;
            }

            var (loaded, problem) = await LoadStoredAsync(version, cancellationToken);
            if (loaded is null)
            {
                logger.LogError("Enabled plugin {Plugin} {Version} could not be loaded: {Problem}", row.Name, row.Version, problem);
                continue;
            }

            await host.ActivateAsync(loaded);
        }
    }

    private async Task<(LoadedPlugin? Plugin, string? Problem)> LoadStoredAsync(PluginVersionRow version, CancellationToken cancellationToken)
    {
        var load = await packages.LoadAsync(version.Name, version.Version, version.PackageKey, cancellationToken);
        return (load.Plugin, load.Problem);
    }

    private async Task<RegistryOutcome> UnderLockAsync(Func<Task<RegistryOutcome>> command)
    {
        await commands.WaitAsync();
        try
        {
            return await command();
        }
        finally
        {
            commands.Release();
        }
    }

    private static RegistryOutcome NotFound(string name) => RegistryOutcome.Refused(RegistryStatus.NotFound, $"Plugin {name} is not installed.");

    private PluginSummary Summarize(PluginRow row, PluginVersionRow version) => new(
        row.Name,
        row.Version,
        row.PreviousVersion,
        row.Enabled,
        host.Find(row.Name)?.Version == row.Version,
        PluginSources.Registry,
        version.PackageId,
        version.Capabilities,
        row.InstalledAt,
        row.UpdatedAt);

    private static PluginSummary Summarize(LoadedPlugin plugin) => new(
        plugin.Name, plugin.Version, null, true, true, plugin.Source, plugin.PackageId, plugin.Registrations.Capabilities(), null, null);
}
