using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    public const string ConnectionName = "messaging";

    /// <summary>
    /// MassTransit on RabbitMQ from <c>ConnectionStrings:messaging</c> (<c>amqp://user:pass@host:port/vhost</c>),
    /// the outbox and its relay. Queues are named after the service, so each service gets its own copy of an event.
    /// Call after <c>AddPlatformDatabase</c>: the outbox lives in the service's database.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} is not configured (env ConnectionStrings__{ConnectionName}).");
        }

        var broker = BrokerAddress.Parse(connectionString);
        var serviceName = ServiceName(builder);
        // A service without a database (the Proxy) only consumes; its consumers must be idempotent by nature.
        var hasDatabase = builder.Services.Any(d => d.ServiceType == typeof(NpgsqlDataSource));
        if (hasDatabase)
        {
            builder.Services.AddSingleton<IntegrationEventOutbox>();
            builder.Services.AddOptions<OutboxRelayOptions>().BindConfiguration("Messaging:Outbox");
            builder.Services.AddHostedService<OutboxRelay>();
        }

        // A bus left half-started by a broker that vanished mid-start does not recover (still so in MassTransit 8.5.12,
        // measured), so a service is not up until its bus is; its start fails, and events wait in the outbox.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            // A message still in its retries at stop is not acknowledged and comes back after the restart, where the
            // idempotent consumer handles it once; so a stop need not wait long, and stays within an orchestrator's timeout.
            o.StopTimeout = TimeSpan.FromSeconds(5);
        });

        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit reports usage to its vendor's host at start unless told not to; nothing leaves the platform uninvited.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, includeNamespace: false));
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(broker.Host, broker.Port, broker.VirtualHost, host =>
                {
                    host.Username(broker.UserName);
                    host.Password(broker.Password);
                    host.ConnectionName(serviceName);
                    host.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
                });
                rabbit.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(broker);
        builder.Services.AddHealthChecks().AddBrokerHealthCheck(connectionString);
        return builder;
    }

    /// <summary>The short service name used for queue prefixes: OTEL_SERVICE_NAME, else "Platform.Clusters" → "clusters".</summary>
    public static string ServiceName(IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration["Platform:ServiceName"] ?? builder.Configuration["OTEL_SERVICE_NAME"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim().ToLowerInvariant();
        }

        var application = builder.Environment.ApplicationName;
        return application[(application.LastIndexOf('.') + 1)..].ToLowerInvariant();
    }
}

/// <summary>The parts of an AMQP URI; parsed here so the password never travels inside a URI MassTransit might log.</summary>
internal sealed record BrokerAddress(string Host, ushort Port, string VirtualHost, string UserName, string Password)
{
    public static BrokerAddress Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps" or "rabbitmq"))
        {
            throw new InvalidOperationException($"ConnectionStrings:{MessagingExtensions.ConnectionName} must be an amqp:// URI.");
        }

        var credentials = uri.UserInfo.Split(':', 2);
        var userName = credentials.Length > 0 && credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : "guest";
        var password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "guest";
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port;
        var virtualHost = uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? Uri.UnescapeDataString(path) : "/";
        return new BrokerAddress(uri.Host, (ushort)port, virtualHost, userName, password);
    }

    public override string ToString() => $"amqp://{Host}:{Port}/{VirtualHost.TrimStart('/')}";
}
