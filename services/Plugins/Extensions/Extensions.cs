using Platform.Plugins.Handlers;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.IntegrationEvents;
using Platform.Plugins.IntegrationEvents.EventHandling;
using Platform.Plugins.Loading;
using Platform.Plugins.Model;
using Platform.Plugins.Registry;
using Platform.Plugins.Validation;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.ObjectStorage;

namespace Platform.Plugins.Extensions;

/// <summary>The Plugins service owns the plugin registry and packages (object store) and runs handlers, validators and routes.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The migrations assembly is named explicitly: under a test host the entry assembly is the test runner.
        builder.AddPlatformDatabase("pluginsdb", typeof(Extensions).Assembly);
        builder.AddPlatformObjectStore("objects");

        var services = builder.Services;
        services.AddOptions<PluginSettings>().BindConfiguration(PluginSettings.SectionName);
        builder.AddPluginLoading();
        services.AddSingleton<PluginStore>();
        services.AddSingleton<HandlerRunStore>();
        services.AddSingleton<PluginRegistry>();
        services.AddSingleton<ClusterEventIntake>();
        services.AddSingleton<ClusterAdmission>();
        services.AddSingleton<HandlerInvoker>();
        services.AddSingleton<HandlerDispatcher>();

        // Before the bus (registered by AddPlatformMessaging), so the first event consumed sees every enabled plugin.
        services.AddHostedService<PluginStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<HandlerDispatcher>());
        services.AddHostedService<TimerScheduler>();

        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<ClusterCreatedConsumer>();
            bus.AddConsumer<ClusterRunningConsumer>();
            bus.AddConsumer<ClusterScaledConsumer>();
            bus.AddConsumer<ClusterStoppingConsumer>();
            bus.AddConsumer<ClusterStoppedConsumer>();
            bus.AddConsumer<ClusterFailedConsumer>();
        });
    }
}
