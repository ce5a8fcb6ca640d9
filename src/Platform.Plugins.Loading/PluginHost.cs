using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Plugins.Sdk;

namespace Platform.Plugins.Loading;

/// <summary>
/// The plugins active in this process, by name. Loading creates a load context and initializes the plugin; activating
/// makes its handlers, validators and routes visible; deactivating shuts it down and unloads its context.
/// </summary>
public sealed class PluginHost(
    IOptions<PluginLoadingSettings> settings,
    IConfiguration configuration,
    ILoggerFactory loggers,
    PluginStateStore state,
    ILogger<PluginHost> logger)
{
    private readonly ConcurrentDictionary<string, LoadedPlugin> active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WeakReference> unloaded = new(StringComparer.Ordinal);

    public IReadOnlyCollection<LoadedPlugin> Active => [.. active.Values];

    public LoadedPlugin? Find(string name) => active.GetValueOrDefault(name);

    /// <summary>The context of a plugin version unloaded by this host, to prove it was collected (tests, diagnostics).</summary>
    public WeakReference? UnloadedContext(string name, string version) => unloaded.GetValueOrDefault($"{name}@{version}");

    /// <summary>Loads and initializes the package's plugin without activating it.</summary>
    public async Task<PluginLoadResult> LoadAsync(PluginPackage package, string source, CancellationToken cancellationToken)
    {
        var context = new PluginLoadContext($"plugin:{package.PackageId}@{package.Version}", package.Assemblies);
        try
        {
            var (instance, problem) = CreateInstance(context, package);
            if (instance is null)
            {
                context.Unload();
                return new PluginLoadResult(null, problem);
            }

            var name = instance.Name;
            if (!PluginNames.IsValid(name))
            {
                context.Unload();
                return new PluginLoadResult(null, $"The plugin's Name '{name}' must be lower-case letters, digits and dashes (at most 63).");
            }

            var pluginContext = new PluginContext(SettingsOf(name), loggers.CreateLogger($"Platform.Plugins.Plugin.{name}"), state.For(name));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Value.InitializeTimeout);
            await Task.Run(() => instance.InitializeAsync(pluginContext, timeout.Token), CancellationToken.None).WaitAsync(settings.Value.InitializeTimeout, cancellationToken);
            pluginContext.Freeze();
            return new PluginLoadResult(new LoadedPlugin(name, package.Version.ToNormalizedString(), package.PackageId, source, instance, pluginContext.Registrations, context), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Plugin package {Package} {Version} failed to initialize", package.PackageId, package.Version);
            context.Unload();
            return new PluginLoadResult(null, e is TimeoutException
                ? $"The plugin did not finish InitializeAsync within {settings.Value.InitializeTimeout.TotalSeconds:0.#} s."
                : $"The plugin failed to initialize: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Makes <paramref name="plugin"/> the active one of its name; the one it replaces is unloaded.</summary>
    public async Task ActivateAsync(LoadedPlugin plugin)
    {
        LoadedPlugin? replaced = null;
        active.AddOrUpdate(plugin.Name, plugin, (_, existing) =>
        {
            replaced = existing;
            return plugin;
        });
        if (replaced is not null && !ReferenceEquals(replaced, plugin))
        {
            await UnloadAsync(replaced);
        }

        logger.LogInformation("Plugin {Plugin} {Version} ({Source}) is active", plugin.Name, plugin.Version, plugin.Source);
    }

    public async Task<bool> DeactivateAsync(string name)
    {
        if (!active.TryRemove(name, out var plugin))
        {
            return false;
        }

        await UnloadAsync(plugin);
        return true;
    }

    /// <summary>Asks the plugin to shut down (bounded) and starts unloading its context.</summary>
    public async Task UnloadAsync(LoadedPlugin plugin)
    {
        try
        {
            await Task.Run(() => plugin.Instance.ShutdownAsync(CancellationToken.None), CancellationToken.None).WaitAsync(settings.Value.InitializeTimeout);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Plugin {Plugin} {Version} failed to shut down cleanly; unloading it anyway", plugin.Name, plugin.Version);
        }

        unloaded[$"{plugin.Name}@{plugin.Version}"] = plugin.Unload();
        logger.LogInformation("Plugin {Plugin} {Version} unloaded", plugin.Name, plugin.Version);
    }

    public async Task UnloadAllAsync()
    {
        foreach (var name in active.Keys.ToList())
        {
            await DeactivateAsync(name);
        }
    }

    // Kept out of LoadAsync's frame so no local there roots the plugin's types longer than needed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (IPlugin? Instance, string? Problem) CreateInstance(PluginLoadContext context, PluginPackage package)
    {
        var assembly = context.LoadPrivate(package.EntryAssembly);
        var type = assembly.GetType(package.EntryType, throwOnError: false);
        if (type is null)
        {
            return (null, $"The entry point {package.EntryType} named by [assembly: PlatformPlugin] is not in {package.EntryAssembly}.");
        }

        if (!typeof(IPlugin).IsAssignableFrom(type) || type.IsAbstract)
        {
            return (null, $"The entry point {type.FullName} does not implement {typeof(IPlugin).FullName} (was the SDK assembly copied into the package under another version?).");
        }

        if (type.GetConstructor(Type.EmptyTypes) is not { } constructor)
        {
            return (null, $"The entry point {type.FullName} has no public parameterless constructor.");
        }

        try
        {
            return ((IPlugin)constructor.Invoke(null), null);
        }
        catch (TargetInvocationException e)
        {
            return (null, $"The entry point's constructor threw {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
        }
    }

    private Dictionary<string, string> SettingsOf(string name) =>
        configuration.GetSection($"Plugins:Settings:{name}").AsEnumerable(makePathsRelative: true)
            .Where(e => e.Value is not null)
            .ToDictionary(e => e.Key, e => e.Value!, StringComparer.OrdinalIgnoreCase);
}
