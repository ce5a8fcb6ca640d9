using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>The delivery log keeps finished messages for <c>Webhooks:Retention</c>, pending ones whatever their age.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class DeliveryLogRetentionTests(WebhooksServiceFixture service)
{
    [Fact]
    public async Task Pruning_deletes_finished_messages_older_than_the_cutoff_with_their_attempts_and_keeps_pending_and_recent_ones()
    {
        var (endpoint, _) = await service.As("retention-user").CreateEndpointAsync("http://127.0.0.1:9/never");
        await using var database = NpgsqlDataSource.Create(service.ConnectionString);
        // As time leaves them: the oldest rows have the lowest sequence numbers (below every other test's rows here).
        await using (var seed = database.CreateCommand("""
            with seeded as (
                -- 0-24 succeeded and 25 failed 40 days ago; 26 still pending (its next attempt tomorrow); 27 succeeded yesterday.
                insert into webhook_messages (seq, webhook_id, endpoint_id, event_type, payload, status, next_attempt_at, created_at)
                overriding system value
                select -1000 + i, 'msg_retention_' || i, $1, 'cluster.stopped', '{}',
                       case when i = 25 then 'failed' when i = 26 then 'pending' else 'succeeded' end, now() + interval '1 day',
                       now() - case when i < 27 then interval '40 days' else interval '1 day' end
                from generate_series(0, 27) i
                returning seq, created_at)
            insert into webhook_attempts (message_seq, attempted_at, status_code, latency_ms)
            select seq, created_at, 200, 1 from seeded
            """))
        {
            seed.Parameters.Add(new() { Value = Guid.Parse(endpoint) });
            await seed.ExecuteNonQueryAsync();
        }

        var messages = service.Host.Services.GetRequiredService<MessageStore>();
        var cutoff = DateTimeOffset.UtcNow.AddDays(-30);
        // Chunks of 10: the 26 finished old messages span three statements.
        Assert.Equal(26, await messages.PruneAsync(cutoff, chunk: 10, TimeSpan.Zero, CancellationToken.None));

        await using var left = database.CreateCommand("""
            select array_agg(m.webhook_id order by m.seq), (select count(*) from webhook_attempts a where a.message_seq between -1000 and -973)
            from webhook_messages m where m.webhook_id like 'msg_retention_%'
            """);
        await using (var reader = await left.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(["msg_retention_26", "msg_retention_27"], reader.GetFieldValue<string[]>(0));
            Assert.Equal(2, reader.GetInt64(1));
        }

        Assert.Equal(0, await messages.PruneAsync(cutoff, chunk: 10, TimeSpan.Zero, CancellationToken.None));
    }
}
