using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Clusters.Extensions;

/// <summary>The Clusters service owns cluster records and their lifecycle; the Dask-Gateway-compatible API.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase("clustersdb");
        builder.AddPlatformMessaging();
    }
}
