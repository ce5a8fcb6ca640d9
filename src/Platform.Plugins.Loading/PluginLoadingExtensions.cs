using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.Plugins.Loading;

public static class PluginLoadingExtensions
{
    /// <summary>
    /// The plugin host (one collectible context per plugin), the extensions folder and, when the service has an object
    /// store (registered before this), the loader of installed packages. Plugin state lives in the service's own database (<c>plugin_state</c>).
    /// </summary>
    public static IHostApplicationBuilder AddPluginLoading(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PluginLoadingSettings>().BindConfiguration(PluginLoadingSettings.SectionName);
        services.AddSingleton<PluginStateStore>();
        services.AddSingleton<PluginHost>();
        services.AddSingleton<ExtensionsFolder>();
        if (services.Any(d => d.ServiceType == typeof(IObjectStore)))
        {
            services.AddSingleton<StoredPluginPackages>();
        }

        return builder;
    }
}
