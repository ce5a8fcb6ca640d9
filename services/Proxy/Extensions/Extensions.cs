using Platform.ServiceDefaults.Messaging;

namespace Platform.Proxy.Extensions;

/// <summary>The Proxy service owns the public port: HTTP front door and TLS-SNI passthrough to schedulers.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformMessaging();
    }
}
