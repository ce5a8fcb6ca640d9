using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>The Webhooks service killed with SIGKILL mid-delivery loses nothing once it is started again.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class ServiceKillTests(WebhooksServiceFixture service)
{
    [Fact]
    public async Task A_service_killed_mid_delivery_delivers_every_message_after_restart_with_its_original_webhook_id()
    {
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("webhooksdb_kill");
        var settings = service.Settings(connectionString, $"webhooks-kill-{Guid.NewGuid():N}"[..21]);
        // Batches of 8 lease their messages for two timeouts (10 s): what the killed service claimed is sent again after that.
        settings["Webhooks:Delivery:BatchSize"] = "8";
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer("kill", new ReceiverBehaviour(Delay: TimeSpan.FromMilliseconds(1500)));

        List<string> expected;
        await using (var first = await WebhooksProcess.StartAsync(settings))
        {
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            var user = new WebhooksClient(http, service.Identity, "kim-kill");
            var (_, secret) = await user.CreateEndpointAsync(receiver.Url("kill"));
            receiver.Trust("kill", secret);

            var ids = await service.Events.PublishAsync([.. Enumerable.Range(1, 20).Select(i => (object)new ClusterScaled("kill-c1", "kim-kill", i, DateTimeOffset.UtcNow))]);
            expected = [.. ids.Select(i => "msg_" + i.ToString("N")).Order()];

            // Deliveries are in flight (the receiver holds each for 1.5 s) when the service dies.
            await Eventually.TrueAsync(() => receiver.Arrivals >= 1, TimeSpan.FromSeconds(30), "a delivery in flight");
            await first.KillAsync();
        }

        await using var second = await WebhooksProcess.StartAsync(settings);

        await Eventually.TrueAsync(() => receiver.On("kill").Select(r => r.Id).Distinct().Count() == 20, TimeSpan.FromSeconds(60), "every message after the restart");
        Assert.Equal(expected, receiver.On("kill").Select(r => r.Id).Distinct().Order());
        Assert.All(receiver.On("kill"), r => Assert.Single(r.VerifiedBy));
        Assert.True(receiver.On("kill").Count >= 20, "messages whose first attempt died with the service are sent again, not lost");

        await using var database = NpgsqlDataSource.Create(connectionString);
        await Eventually.TrueAsync(async () =>
        {
            await using var count = database.CreateCommand("select count(*) filter (where status = 'succeeded'), count(*) from webhook_messages");
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            return reader.GetInt64(0) == 20 && reader.GetInt64(1) == 20;
        }, TimeSpan.FromSeconds(30), "all 20 messages recorded as succeeded");
    }
}
