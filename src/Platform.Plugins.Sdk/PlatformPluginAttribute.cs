namespace Platform.Plugins.Sdk;

/// <summary>
/// Marks an assembly as a plugin and names its entry point, the .NET counterpart of a Python entry point
/// (<c>dask_operator_plugin</c>): <c>[assembly: PlatformPlugin(typeof(MyPlugin))]</c>. The type implements
/// <see cref="IPlugin"/> and has a public parameterless constructor.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class PlatformPluginAttribute(Type pluginType) : Attribute
{
    public Type PluginType { get; } = pluginType;
}
