using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Webhooks.Extensions;

/// <summary>The Webhooks service owns subscriptions and signed deliveries of platform events.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase("webhooksdb");
        builder.AddPlatformMessaging();
    }
}
