using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Webhooks.IntegrationEvents;
using Platform.Webhooks.Model;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>The consumer fans a whole batch out at once; what that must not change (each takes 1–3 s).</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class BatchFanOutTests(WebhooksServiceFixture service)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_batch_holding_several_events_of_one_cluster_keeps_their_order_and_each_payload_shows_the_cluster_as_of_its_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var dave = service.As("dave-batch");
        var (endpoint, secret) = await dave.CreateEndpointAsync(receiver.Url("dave"));
        receiver.Trust("dave", secret);
        var now = DateTimeOffset.UtcNow;
        ClusterEvent[] events =
        [
            new(Guid.CreateVersion7(), WebhookEventTypes.ClusterCreated, now, new ClusterChange("batch-c1", "dave-batch", "PENDING", 0, """{"worker_cores":2}""")),
            new(Guid.CreateVersion7(), WebhookEventTypes.ClusterScaled, now, new ClusterChange("batch-c1", "dave-batch", null, Workers: 3)),
            new(Guid.CreateVersion7(), WebhookEventTypes.ClusterCreated, now, new ClusterChange("batch-c2", "dave-batch", "PENDING", 1, "{}")),
            new(Guid.CreateVersion7(), WebhookEventTypes.ClusterScaled, now, new ClusterChange("batch-c1", "dave-batch", null, Workers: 5)),
        ];

        // As the consumer calls it for one batch: one transaction, the events in arrival order.
        var database = service.Host.Services.GetRequiredService<NpgsqlDataSource>();
        var fanOut = service.Host.Services.GetRequiredService<WebhookFanOut>();
        await using (var connection = await database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // Admins' endpoints from other tests get them too.
            var result = await fanOut.ClusterEventsAsync(transaction, events, CancellationToken.None);
            Assert.True(result.Count >= 4);
            await transaction.CommitAsync();
            fanOut.Committed(result);
        }

        // The log lists newest first: the reverse of the events' order.
        var logged = await dave.MessagesAsync(endpoint);
        Assert.Equal(events.Reverse().Select(e => WebhookIds.ForEvent(e.EventId)), logged.Select(m => m.GetProperty("id").GetString()));

        await Eventually.TrueAsync(() => receiver.On("dave").Count == 4, Patience, "every message");
        var received = receiver.On("dave").ToDictionary(r => r.Id, r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data"));
        var data = events.Select(e => received[WebhookIds.ForEvent(e.EventId)]).ToList();
        Assert.Equal([0, 3, 1, 5], data.Select(d => d.GetProperty("workers").GetInt32()));
        Assert.Equal(["batch-c1", "batch-c1", "batch-c2", "batch-c1"], data.Select(d => d.GetProperty("name").GetString()));
        Assert.All(new[] { data[0], data[1], data[3] }, d => Assert.Equal(2, d.GetProperty("options").GetProperty("worker_cores").GetInt32()));

        // The snapshot kept the last of them: the next event about the cluster carries it.
        var next = await service.Events.PublishAsync(new ClusterStopping("batch-c1", "dave-batch", now));
        await Eventually.TrueAsync(() => receiver.On("dave").Count == 5, Patience, "the next event");
        var stopping = JsonDocument.Parse(receiver.On("dave").Single(r => r.Id == WebhookIds.ForEvent(next[0])).Body).RootElement.GetProperty("data");
        Assert.Equal(5, stopping.GetProperty("workers").GetInt32());
        Assert.Equal("STOPPING", stopping.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_poisoned_message_fails_alone_and_the_messages_beside_it_are_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var erin = service.As("erin-poison");
        var (_, secret) = await erin.CreateEndpointAsync(receiver.Url("erin"));
        receiver.Trust("erin", secret);
        var now = DateTimeOffset.UtcNow;
        // A name too long for the snapshot table's primary-key index: the Webhooks service can never apply this event.
        var poisoned = "poison-" + string.Concat(Enumerable.Range(0, 400).Select(_ => Guid.NewGuid().ToString("N")));

        // One transaction, so the relay publishes them together and they arrive as one batch.
        // Clusters the service heard of before it started (a minute ago: no cluster.created is awaited). Their own queue:
        // the poisoned message's retries hold back only cluster.stopped for a few seconds.
        var at = now.AddMinutes(-1);
        var ids = await service.Events.PublishAsync(
            new ClusterStopped("poison-c1", "erin-poison", at),
            new ClusterStopped(poisoned, "erin-poison", at),
            new ClusterStopped("poison-c3", "erin-poison", at));

        await Eventually.TrueAsync(() => receiver.On("erin").Count >= 2, Patience, "the messages beside the poisoned one");
        Assert.Equal(new[] { ids[0], ids[2] }.Select(WebhookIds.ForEvent).Order(), receiver.On("erin").Select(r => r.Id).Order());
    }

    [Fact]
    public async Task An_event_that_overtakes_its_clusters_created_event_waits_for_it_and_carries_its_options()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var fay = service.As("fay-overtaken");
        var (_, secret) = await fay.CreateEndpointAsync(receiver.Url("fay"), ["cluster.running"]);
        receiver.Trust("fay", secret);
        var now = DateTimeOffset.UtcNow;

        // cluster.running is committed (and so published) first; cluster.created 300 ms later.
        var running = await service.Events.PublishAsync(new ClusterRunning("overtaken-c1", "fay-overtaken", "tls://127.0.0.1:9999", "http://127.0.0.1:8787", now));
        await Task.Delay(300);
        await service.Events.PublishAsync(new ClusterCreated("overtaken-c1", "fay-overtaken", new Dictionary<string, string> { ["worker_cores"] = "4" }, now));

        var received = (await Eventually.GetAsync(() => Task.FromResult(receiver.On("fay")), r => r.Count == 1, Patience, "cluster.running")).Single();
        Assert.Equal(WebhookIds.ForEvent(running[0]), received.Id);
        var data = JsonDocument.Parse(received.Body).RootElement.GetProperty("data");
        Assert.Equal("RUNNING", data.GetProperty("status").GetString());
        Assert.Equal(4, data.GetProperty("options").GetProperty("worker_cores").GetInt32());
    }
}
