namespace Platform.Plugins.Sdk;

/// <summary>
/// A plugin's entry point. The host creates one instance per load, calls <see cref="InitializeAsync"/> once, in which
/// the plugin registers what it provides through the context, and <see cref="ShutdownAsync"/> before unloading it.
/// </summary>
public interface IPlugin
{
    /// <summary>Lower-case letters, digits and dashes; the plugin's routes live under <c>/api/plugins/{Name}/</c>.</summary>
    string Name { get; }

    Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken);

    Task ShutdownAsync(CancellationToken cancellationToken);
}
