using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Webhooks.IntegrationEvents;
using Platform.Webhooks.Model;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>
/// Deleting an endpoint takes its delivery log with it, including what a fan-out committing at that moment wrote: the
/// messages hold no foreign key to their endpoint (migration 0003), the statements keep that guarantee.
/// </summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class EndpointDeletionTests(WebhooksServiceFixture service)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Deleting_an_endpoint_deletes_its_messages_and_their_attempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var frank = service.As("frank-delete");
        var (endpoint, secret) = await frank.CreateEndpointAsync(receiver.Url("frank"));
        receiver.Trust("frank", secret);
        await service.Events.PublishAsync(new ClusterStopped("delete-c1", "frank-delete", DateTimeOffset.UtcNow.AddMinutes(-1)));
        await Eventually.TrueAsync(async () => (await frank.MessagesAsync(endpoint, "succeeded")).Count == 1, Patience, "the delivery recorded");
        Assert.Equal((1, 1), await RowsAsync(endpoint));

        using var deleted = await frank.SendAsync(HttpMethod.Delete, $"/api/webhooks/endpoints/{endpoint}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal((0, 0), await RowsAsync(endpoint));
    }

    [Fact]
    public async Task A_deletion_during_a_fan_out_waits_for_it_and_leaves_none_of_its_messages_behind()
    {
        var grace = service.As("grace-delete");
        var (endpoint, _) = await grace.CreateEndpointAsync("http://127.0.0.1:9/never");
        var database = service.Host.Services.GetRequiredService<NpgsqlDataSource>();
        var fanOut = service.Host.Services.GetRequiredService<WebhookFanOut>();
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var result = await fanOut.ClusterEventsAsync(
            transaction,
            [new(Guid.CreateVersion7(), WebhookEventTypes.ClusterStopped, DateTimeOffset.UtcNow.AddMinutes(-1), new ClusterChange("delete-c2", "grace-delete", "STOPPED", 0))],
            CancellationToken.None);
        Assert.Contains(result.Leased, m => m.Endpoint.Id.ToString() == endpoint);

        // The fan-out holds its endpoints' key-share locks until it commits: the deletion cannot finish before.
        var deletion = grace.SendAsync(HttpMethod.Delete, $"/api/webhooks/endpoints/{endpoint}");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(deletion.IsCompleted, "the deletion finished while a fan-out to the endpoint was uncommitted");

        await transaction.CommitAsync();
        using var deleted = await deletion;
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal((0, 0), await RowsAsync(endpoint));
    }

    private async Task<(long Messages, long Attempts)> RowsAsync(string endpoint)
    {
        await using var database = NpgsqlDataSource.Create(service.ConnectionString);
        await using var command = database.CreateCommand("""
            select (select count(*) from webhook_messages where endpoint_id = $1),
                   (select count(*) from webhook_attempts a join webhook_messages m on m.seq = a.message_seq where m.endpoint_id = $1)
            """);
        command.Parameters.Add(new() { Value = Guid.Parse(endpoint) });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
