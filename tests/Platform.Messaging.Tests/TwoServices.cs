using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;

namespace Platform.Messaging.Tests;

/// <summary>
/// Two services on the real stack (ServiceDefaults, PostgreSQL, RabbitMQ), each with its own database:
/// the publisher commits a cluster row and its <see cref="ClusterCreated"/> event together; the watcher consumes it.
/// </summary>
public sealed class TwoServices : IAsyncLifetime
{
    private readonly InfrastructureFixture infrastructure = new();
    private readonly string suffix = Guid.NewGuid().ToString("N")[..6];

    public WebApplication Publisher { get; private set; } = null!;

    public WebApplication Watcher { get; private set; } = null!;

    public string PublisherDatabase { get; private set; } = null!;

    public string WatcherDatabase { get; private set; } = null!;

    public InfrastructureFixture Infrastructure => infrastructure;

    public async Task InitializeAsync()
    {
        await infrastructure.InitializeAsync();
        PublisherDatabase = await infrastructure.CreateDatabaseAsync("publisher");
        WatcherDatabase = await infrastructure.CreateDatabaseAsync("watcher");
        Publisher = await StartAsync($"publisher-{suffix}", PublisherDatabase, bus => { }, MapPublisher);
        Watcher = await StartAsync($"watcher-{suffix}", WatcherDatabase, bus => bus.AddConsumer<ClusterCreatedEffect>(), _ => { });
    }

    public async Task DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await Watcher.DisposeAsync();
    }

    /// <summary>Another watcher on its own database, started by the caller (which owns and disposes it).</summary>
    public Task<WebApplication> StartWatcherAsync(string name, string database) =>
        StartAsync($"{name}-{suffix}", database, bus => bus.AddConsumer<ClusterCreatedEffect>(), _ => { });

    private static async Task<WebApplication> StartAsync(string name, string database, Action<IBusRegistrationConfigurator> consumers, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "Platform.Messaging.Tests" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:ServiceName"] = name,
            ["ConnectionStrings:db"] = database,
            ["ConnectionStrings:messaging"] = (await SharedBroker()).ConnectionString,
            ["Messaging:Outbox:PollInterval"] = "00:00:00.500",
            ["Logging:LogLevel:MassTransit"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddPlatformDatabase("db", typeof(TwoServices).Assembly);
        builder.AddPlatformMessaging(consumers);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static async Task<Platform.Testing.Servers.RabbitMqServer> SharedBroker()
    {
        var fixture = new InfrastructureFixture();
        await fixture.InitializeAsync();
        return fixture.RabbitMq;
    }

    private static void MapPublisher(WebApplication app) =>
        app.MapPost("/clusters/{name}", async (string name, bool? failAfterWrite, NpgsqlDataSource db, IntegrationEventOutbox outbox, CancellationToken ct) =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var insert = new NpgsqlCommand("insert into test_clusters (name, owner) values ($1, 'alice')", connection, transaction))
            {
                insert.Parameters.Add(new() { Value = name });
                await insert.ExecuteNonQueryAsync(ct);
            }

            await outbox.EnqueueAsync(transaction, new ClusterCreated(name, "alice", new Dictionary<string, string>(), DateTimeOffset.UtcNow), ct);
            if (failAfterWrite == true)
            {
                // The transaction is disposed without commit: the row and its event go together.
                throw new InvalidOperationException("simulated failure after the state change");
            }

            await transaction.CommitAsync(ct);
            return Results.Created($"/clusters/{name}", null);
        });
}

/// <summary>The watcher's effect: count how often each cluster's creation was applied.</summary>
public sealed class ClusterCreatedEffect(NpgsqlDataSource database, ILogger<ClusterCreatedEffect> logger) : IdempotentConsumer<ClusterCreated>(database, logger)
{
    protected override async Task HandleAsync(ClusterCreated message, NpgsqlTransaction transaction, ConsumeContext<ClusterCreated> context)
    {
        await using var upsert = new NpgsqlCommand(
            "insert into test_effects (cluster_name, times_applied) values ($1, 1) on conflict (cluster_name) do update set times_applied = test_effects.times_applied + 1",
            transaction.Connection,
            transaction);
        upsert.Parameters.Add(new() { Value = message.ClusterName });
        await upsert.ExecuteNonQueryAsync(context.CancellationToken);
    }
}
