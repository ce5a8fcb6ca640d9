using Platform.Plugins.Sdk;

namespace Platform.Plugins.Loading;

/// <summary>Where a loaded plugin came from: an upload (registry and object store) or the extensions folder.</summary>
public static class PluginSources
{
    public const string Registry = "registry";
    public const string Extensions = "extensions";
}

/// <summary>An initialized plugin in its own load context, with what it registered.</summary>
public sealed class LoadedPlugin
{
    private PluginLoadContext? loadContext;

    internal LoadedPlugin(string name, string version, string packageId, string source, IPlugin instance, PluginRegistrations registrations, PluginLoadContext loadContext)
    {
        Name = name;
        Version = version;
        PackageId = packageId;
        Source = source;
        Instance = instance;
        Registrations = registrations;
        this.loadContext = loadContext;
    }

    public string Name { get; }

    public string Version { get; }

    public string PackageId { get; }

    public string Source { get; }

    public IPlugin Instance { get; }

    public PluginRegistrations Registrations { get; }

    /// <summary>Starts unloading the context; returns a weak reference that dies once nothing holds the plugin's types.</summary>
    internal WeakReference Unload()
    {
        var context = loadContext ?? throw new InvalidOperationException($"Plugin {Name} {Version} is already unloaded.");
        loadContext = null;
        var reference = new WeakReference(context, trackResurrection: true);
        context.Unload();
        return reference;
    }
}

/// <summary>A load either yields the plugin or says why not, in words for the uploader.</summary>
public sealed record PluginLoadResult(LoadedPlugin? Plugin, string? Problem);
