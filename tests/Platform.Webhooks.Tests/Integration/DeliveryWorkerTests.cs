using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.IntegrationEvents;
using Platform.Webhooks.Model;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>
/// The delivery workers' claims: a message is sent by one worker at a time, a claim left by a dead worker is sent again
/// when its lease ends, and a slow endpoint holds only its own deliveries. About 30 s in all, most of it host starts.
/// </summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class DeliveryWorkerTests(WebhooksServiceFixture service)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Two_delivery_workers_on_one_database_send_each_message_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("twin", new ReceiverBehaviour(Delay: TimeSpan.FromMilliseconds(20)));
        var user = service.As("tara-twins");
        var (endpoint, secret) = await user.CreateEndpointAsync(receiver.Url("twin"));
        receiver.Trust("twin", secret);
        // A second replica of the service on the same database: both are woken by every commit and race to claim.
        await using var second = WebhooksServiceHost.Start(service.Settings(service.ConnectionString, $"webhooks-twin-{Guid.NewGuid():N}"[..21]));

        await using var database = NpgsqlDataSource.Create(service.ConnectionString);
        var ids = new List<string>();
        for (var batch = 0; batch < 4; batch++)
        {
            ids.AddRange(await FanOutAsync(database, "tara-twins", 50));
        }

        await Eventually.TrueAsync(() => receiver.On("twin").Select(r => r.Id).Distinct().Count() == ids.Count, Patience, "every message");
        await Eventually.TrueAsync(async () => await CountAsync(database, endpoint, "status = 'succeeded' and attempts = 1") == ids.Count, Patience, "every message recorded once");
        Assert.Equal(ids.Order(), receiver.On("twin").Select(r => r.Id).Order());
    }

    [Fact]
    public async Task Messages_claimed_by_a_worker_that_died_are_sent_after_the_lease_ends_with_their_webhook_id()
    {
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("webhooksdb_lease");
        var settings = service.Settings(connectionString, $"webhooks-lease-{Guid.NewGuid():N}"[..22]);
        await using var receiver = await WebhookReceiver.StartAsync();
        string endpoint;
        await using (var first = WebhooksServiceHost.Start(settings))
        {
            var user = new WebhooksClient(first.CreateClient(), service.Identity, "lena-lease");
            (endpoint, var secret) = await user.CreateEndpointAsync(receiver.Url("lease"));
            receiver.Trust("lease", secret);
        }

        // The "dead" worker: it commits its claim and never sends or records.
        await using var database = NpgsqlDataSource.Create(connectionString);
        var ids = await FanOutAsync(database, "lena-lease", 5);

        var store = new DeliveryStore(database);
        var claim = await store.ClaimAsync(Guid.Parse(endpoint), 32, TimeSpan.FromSeconds(3), CancellationToken.None);
        Assert.Equal(ids, claim.Messages.Select(m => m.WebhookId));
        Assert.Empty((await store.ClaimAsync(Guid.Parse(endpoint), 32, TimeSpan.FromSeconds(3), CancellationToken.None)).Messages);

        await using var second = WebhooksServiceHost.Start(settings);

        await Eventually.TrueAsync(() => receiver.On("lease").Count == 5, Patience, "every claimed message once the lease ended");
        Assert.Equal(ids.Order(), receiver.On("lease").Select(r => r.Id).Order());
        Assert.All(receiver.On("lease"), r => Assert.True(r.ReceivedAt >= claim.LeasedUntil, $"sent at {r.ReceivedAt:O}, before the lease ended at {claim.LeasedUntil:O}"));
        Assert.All(receiver.On("lease"), r => Assert.Single(r.VerifiedBy));
        await Eventually.TrueAsync(async () => await CountAsync(database, endpoint, "status = 'succeeded' and attempts = 1 and leased_until is null") == 5, Patience, "every message recorded");
    }

    [Fact]
    public async Task The_consumers_fan_out_commits_its_messages_leased_to_its_process_which_sends_them_without_a_claim()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var user = service.As("hana-handoff");
        var (endpoint, secret) = await user.CreateEndpointAsync(receiver.Url("handoff"));
        receiver.Trust("handoff", secret);
        var now = DateTimeOffset.UtcNow;
        ClusterEvent[] events = [.. Enumerable.Range(0, 5).Select(i => new ClusterEvent(
            Guid.CreateVersion7(), WebhookEventTypes.ClusterCreated, now, new ClusterChange($"handoff-c{i}", "hana-handoff", "PENDING", 0, "{}")))];

        var fanOut = service.Host.Services.GetRequiredService<WebhookFanOut>();
        var database = service.Host.Services.GetRequiredService<NpgsqlDataSource>();
        FanOutResult result;
        await using (var connection = await database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            result = await fanOut.ClusterEventsAsync(transaction, events, CancellationToken.None);
            await transaction.CommitAsync();
        }

        // Committed and not yet handed over: leased, so no other worker's claim (or notification) takes them.
        var ours = result.Leased.Where(m => m.Endpoint.Id == Guid.Parse(endpoint)).ToList();
        Assert.Equal(events.Select(e => WebhookIds.ForEvent(e.EventId)), ours.Select(m => m.Message.WebhookId));
        Assert.Empty((await new DeliveryStore(database).ClaimAsync(Guid.Parse(endpoint), 32, TimeSpan.FromSeconds(30), CancellationToken.None)).Messages);
        await Task.Delay(500);
        Assert.Empty(receiver.On("handoff"));

        fanOut.Committed(result);

        await Eventually.TrueAsync(() => receiver.On("handoff").Count == 5, Patience, "every handed-over message");
        Assert.Equal(ours.Select(m => m.Message.WebhookId).Order(), receiver.On("handoff").Select(r => r.Id).Order());
        Assert.All(receiver.On("handoff"), r => Assert.Single(r.VerifiedBy));
        await using var data = NpgsqlDataSource.Create(service.ConnectionString);
        await Eventually.TrueAsync(async () => await CountAsync(data, endpoint, "status = 'succeeded' and attempts = 1 and leased_until is null") == 5, Patience, "every attempt recorded under its lease");
    }

    [Fact]
    public async Task A_slow_endpoint_does_not_delay_another_endpoints_messages()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // Eight at a time, 4 s each: the slow endpoint needs about 20 s for its 40 messages.
        receiver.Answer("slow", new ReceiverBehaviour(Delay: TimeSpan.FromSeconds(4)));
        var user = service.As("sven-slow");
        var (_, slowSecret) = await user.CreateEndpointAsync(receiver.Url("slow"));
        var (_, fastSecret) = await user.CreateEndpointAsync(receiver.Url("fast"));
        receiver.Trust("slow", slowSecret);
        receiver.Trust("fast", fastSecret);

        await service.Events.PublishAsync([.. Enumerable.Range(0, 40).Select(i => (object)new ClusterScaled("slow-c1", "sven-slow", i, DateTimeOffset.UtcNow))]);

        await Eventually.TrueAsync(() => receiver.On("fast").Select(r => r.Id).Distinct().Count() == 40, Patience, "every message to the fast endpoint");
        Assert.True(receiver.On("slow").Count < 40, $"the fast endpoint was served while the slow one still had messages ({receiver.On("slow").Count} of 40 arrived)");
    }

    /// <summary>Messages committed as the consumer commits them, without the bus in front; returns their webhook-ids.</summary>
    private static async Task<List<string>> FanOutAsync(NpgsqlDataSource database, string owner, int count)
    {
        var events = Enumerable.Range(0, count).Select(_ => new OutgoingEvent("msg_" + Guid.NewGuid().ToString("N"), "cluster.scaled", owner, "{\"type\":\"cluster.scaled\"}")).ToList();
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Admins' endpoints that other tests left in the database get them too.
        Assert.True(await MessageStore.FanOutAsync(transaction, events, CancellationToken.None) >= count);
        await transaction.CommitAsync();
        return [.. events.Select(e => e.WebhookId)];
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database, string endpoint, string where)
    {
        await using var command = database.CreateCommand($"select count(*) from webhook_messages where endpoint_id = $1 and {where}");
        command.Parameters.Add(new() { Value = Guid.Parse(endpoint) });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
