using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;

namespace Platform.Webhooks.Tests.Support;

/// <summary>
/// Publishes integration events the way the Clusters and Auth services do: committed to an outbox in a database of its
/// own, then relayed to RabbitMQ by the platform's <see cref="OutboxRelay"/>. Returns each event's message id.
/// </summary>
public sealed class IntegrationEventSource : IAsyncDisposable
{
    private readonly IHost host;

    private IntegrationEventSource(IHost host)
    {
        this.host = host;
    }

    public static async Task<IntegrationEventSource> StartAsync(InfrastructureFixture infrastructure, string name)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:eventsdb"] = await infrastructure.CreateDatabaseAsync(name);
        builder.Configuration["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString;
        builder.Configuration["Platform:ServiceName"] = name;
        builder.Configuration["Messaging:Outbox:PollInterval"] = "00:00:01";
        builder.Logging.ClearProviders();
        builder.AddPlatformDatabase("eventsdb", typeof(IntegrationEventOutbox).Assembly);
        builder.AddPlatformMessaging();
        var host = builder.Build();
        await host.StartAsync();
        return new IntegrationEventSource(host);
    }

    /// <summary>Commits the events in one transaction; the relay publishes them once it has committed.</summary>
    public async Task<IReadOnlyList<Guid>> PublishAsync(params object[] events)
    {
        var database = host.Services.GetRequiredService<NpgsqlDataSource>();
        var outbox = host.Services.GetRequiredService<IntegrationEventOutbox>();
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new List<Guid>();
        foreach (var e in events)
        {
            var enqueue = typeof(IntegrationEventOutbox).GetMethod(nameof(IntegrationEventOutbox.EnqueueAsync))!.MakeGenericMethod(e.GetType());
            ids.Add(await (Task<Guid>)enqueue.Invoke(outbox, [transaction, e, CancellationToken.None])!);
        }

        await transaction.CommitAsync();
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
