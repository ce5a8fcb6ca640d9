using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.Plugins.Extensions;

/// <summary>The Plugins service owns the plugin registry, packages in the object store, and the stage pipeline.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase("pluginsdb");
        builder.AddPlatformObjectStore("objects");
        builder.AddPlatformMessaging();
    }
}
