using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Auth.Extensions;

/// <summary>The Auth service owns users, groups, API tokens and sessions; answers the Proxy's "who is this?".</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase("authdb");
        builder.AddPlatformMessaging();
    }
}
