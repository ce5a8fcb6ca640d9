using Platform.Clusters.Backends;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.IntegrationEvents;
using Platform.Clusters.Lifecycle;
using Platform.Clusters.Model;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Secrets;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Clusters.Extensions;

/// <summary>The Clusters service owns cluster records and their lifecycle; the Dask-Gateway-compatible API.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The migrations assembly is named explicitly: under a test host the entry assembly is the test runner.
        builder.AddPlatformDatabase("clustersdb", typeof(Extensions).Assembly);
        builder.AddPlatformMessaging(bus => bus.AddConsumer<ClusterAnnotatedConsumer>());

        var services = builder.Services;
        services.AddOptions<ClusterSettings>().BindConfiguration(ClusterSettings.SectionName);
        services.AddOptions<ClusterLimits>().BindConfiguration($"{ClusterSettings.SectionName}:Limits");
        services.AddOptions<QuotaSettings>().BindConfiguration($"{ClusterSettings.SectionName}:Quotas");
        services.AddSingleton(sp => ClusterOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>().GetSection($"{ClusterSettings.SectionName}:Options")));

        services.AddDatabaseGauge(new DatabaseGauge(
            "platform.clusters", "{cluster}", "Clusters by state",
            """
            select count(c.name), s.state
            from unnest(array['PENDING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED']) as s(state)
            left join clusters c on c.state = s.state
            group by s.state
            """,
            LabelName: "state"));
        services.AddDatabaseGauge(new DatabaseGauge(
            "platform.clusters.workers", "{worker}", "Dask workers of running clusters: requested and running",
            """
            select coalesce(sum(requested_workers), 0), 'requested' from clusters where state = 'RUNNING'
            union all
            select coalesce(sum(running_workers), 0), 'running' from clusters where state = 'RUNNING'
            """,
            LabelName: "kind"));

        services.AddSingleton<ClusterChangeSignal>();
        services.AddSingleton<ClusterIntegrationEvents>();
        builder.AddSecretSealer();
        services.AddSingleton<ClusterStore>();
        services.AddSingleton<ClusterLabelStore>();
        services.AddOptions<ClusterValidationSettings>().BindConfiguration(ClusterValidationSettings.SectionName);
        services.AddHttpClient<PluginValidationClient>();
        services.AddSingleton<ClusterLifecycle>();
        services.AddHttpClient<SchedulerApi>(http => http.Timeout = TimeSpan.FromSeconds(90));
        services.AddSingleton<ClusterAccounts>();
        services.AddSingleton(sp => ClusterIsolation.ForThisProcess(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterSettings>>().Value.Backend));
        services.AddSingleton<IClusterBackend>(sp =>
        {
            var backend = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterSettings>>().Value.Backend;
            return backend switch
            {
                ClusterIsolation.LocalBackend or ClusterIsolation.UnsafeLocalBackend when OperatingSystem.IsLinux() => ActivatorUtilities.CreateInstance<LocalProcessBackend>(sp),
                _ => throw new InvalidOperationException($"Clusters:Backend '{backend}' is not available (only 'local' and, without isolation, 'unsafe-local' are implemented, on Linux)."),
            };
        });

        // Resolving the supervisor at start-up builds the backend, so a missing Dask installation stops the service at once.
        services.AddHostedService<ClusterSupervisor>();
        services.AddSingleton<FinishedClusterPurge>();
        services.AddHostedService(sp => sp.GetRequiredService<FinishedClusterPurge>());
    }
}
