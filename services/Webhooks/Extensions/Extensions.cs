using MassTransit;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Secrets;
using Platform.Webhooks.Delivery;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.IntegrationEvents;
using Platform.Webhooks.IntegrationEvents.EventHandling;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Extensions;

/// <summary>The Webhooks service owns subscriptions and signed deliveries of platform events.</summary>
internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Named explicitly: under a test host the entry assembly is the test runner, not this service.
        builder.AddPlatformDatabase("webhooksdb", typeof(Extensions).Assembly);
        builder.AddPlatformMessaging(bus =>
        {
            bus.AddConsumer<ClusterCreatedConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<ClusterRunningConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<ClusterScaledConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<ClusterStoppingConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<ClusterStoppedConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<ClusterFailedConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<UserAuthenticatedConsumer>(c => c.Options<BatchOptions>(Batched));
            bus.AddConsumer<AuthenticationFailedConsumer>(c => c.Options<BatchOptions>(Batched));
        });

        var services = builder.Services;
        var settings = builder.Configuration.GetSection(WebhookSettings.SectionName).Get<WebhookSettings>() ?? new WebhookSettings();
        Validate(settings.Delivery);
        if (settings.Retention <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Webhooks:Retention must be positive (how long the delivery log keeps a finished message).");
        }

        services.AddSingleton(settings);
        services.AddSingleton(Options.Create(settings));
        services.AddSingleton(new EndpointSecrets(SecretSealer.FromConfiguration(builder.Configuration)));
        services.AddSingleton(new DestinationGuard(DestinationPolicy.FromSetting(settings.AllowedHosts)));
        services.AddSingleton<EndpointStore>();
        services.AddSingleton<MessageStore>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<WebhookFanOut>();

        // Not from IHttpClientFactory: its defaults add service discovery (which would send "https://auth/" to the
        // internal Auth service) and request logging (which would write URLs that may carry tokens).
        services.AddSingleton(sp => new WebhookSender(
            new HttpClient(CreateHandler(sp.GetRequiredService<DestinationGuard>())) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<IOptions<WebhookSettings>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EndpointDelivery>();
        // One instance: the consumers hand it the messages their fan-out leased to this process.
        services.AddSingleton<DeliveryDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
        services.AddHostedService<DeliveryLogRetention>();
    }

    /// <summary>Logs once at start-up what an operator must fix: without a sealing key no endpoint can be created.</summary>
    public static void WarnIfSecretsUnavailable(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<EndpointSecrets>().IsAvailable)
        {
            app.Logger.LogWarning("{Message}", EndpointSecrets.MissingKeyMessage);
        }
    }

    /// <summary>
    /// A burst is fanned out set-based, a few round trips and one commit per batch, so one batch at a time keeps up and
    /// keeps a cluster's events of one type in their order (batches would otherwise race for its snapshot row).
    /// MassTransit raises the queue's prefetch to the batch size. A lone event waits at most the time limit for company.
    /// </summary>
    private static void Batched(BatchOptions batch) => batch.SetMessageLimit(100).SetTimeLimit(TimeSpan.FromMilliseconds(5)).SetConcurrencyLimit(1);

    private static SocketsHttpHandler CreateHandler(DestinationGuard guard) => new()
    {
        ConnectCallback = guard.ConnectAsync,
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    private static void Validate(DeliverySettings delivery)
    {
        if (delivery.Timeout <= TimeSpan.Zero || delivery.MaxConcurrencyPerEndpoint < 1 || delivery.BatchSize < 1 || delivery.MaxActiveEndpoints < 1
            || delivery.Schedule.Any(d => d < TimeSpan.Zero) || delivery.SweepInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Webhooks:Delivery: Timeout and SweepInterval must be positive, concurrency limits and BatchSize at least 1, and RetrySchedule delays not negative.");
        }
    }
}
