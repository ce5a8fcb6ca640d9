using System.Text;
using Npgsql;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>An event as it is fanned out: the webhook-id, the type, whose it is (null: nobody's, for admins) and the exact body.</summary>
public sealed record OutgoingEvent(string WebhookId, string EventType, string? Owner, string Payload);

/// <summary>
/// A message committed leased to this process, to be sent by it without a claim: its endpoint as the fan-out saw it, its
/// body, the lease as stored (the guard of its record) and this process's bound on it.
/// </summary>
public sealed record LeasedMessage(WebhookEndpoint Endpoint, WebhookMessage Message, byte[] Body, DateTimeOffset LeasedUntil, DateTimeOffset LeaseEnds);

/// <summary>How many messages a fan-out wrote, and those leased to this process (none without a lease).</summary>
public sealed record FanOutResult(int Count, IReadOnlyList<LeasedMessage> Leased)
{
    public static readonly FanOutResult None = new(0, []);
}

/// <summary>The messages and attempts tables: fan-out, the delivery log, retry and recover.</summary>
public sealed class MessageStore(NpgsqlDataSource database)
{
    /// <summary>Delivery workers listen here; pg_notify is transactional, so they wake only once the messages are committed.</summary>
    public const string NotificationChannel = "webhook_messages";

    internal const string Columns = """
        seq, webhook_id, endpoint_id, event_type, payload, status, attempts, round_attempts, next_attempt_at,
        last_attempt_at, last_status, last_error, created_at
        """;

    /// <summary>
    /// One message per event and enabled endpoint subscribed to its type that may see it: the owner's endpoints, and
    /// every admin's (an event with no owner is for admins only). One statement for the whole batch; each endpoint's
    /// messages get sequence numbers in the events' order, which is the order they are sent in.
    /// </summary>
    /// <remarks>
    /// Without <paramref name="lease"/> every endpoint with new messages is notified and its lane claims them. With it,
    /// the messages of endpoints that are not throttled are committed leased to the committing process until
    /// <c>clock_timestamp() + lease</c> (taken once, when the statement runs), and only the others are notified: the
    /// committing process sends the leased ones itself, without a claim (<see cref="ReadFanOutAsync"/>), and if it dies
    /// they are claimed by any worker once the lease ends, like a dead worker's claim.
    /// </remarks>
    public static NpgsqlBatchCommand FanOut(IReadOnlyList<OutgoingEvent> events, TimeSpan? lease = null)
    {
        // One notification per endpoint, its id as payload: the dispatcher nudges that endpoint's lane without a query.
        var command = new NpgsqlBatchCommand($"""
            with lease as materialized (select clock_timestamp() + $5::interval as until),
            events as materialized (
                select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as e (webhook_id, event_type, owner, payload, position)),
            -- Locked once per statement, not per message: an endpoint being deleted waits for this commit, then deletes
            -- what it wrote; one deleted already is not written to.
            targets as materialized (
                select w.* from webhook_endpoints w
                where w.enabled and exists (select 1 from events e
                    where (w.event_types is null or e.event_type = any(w.event_types)) and (w.owner_is_admin or w.owner = e.owner))
                for key share),
            inserted as (
                insert into webhook_messages (webhook_id, endpoint_id, event_type, payload, leased_until)
                select e.webhook_id, w.id, e.event_type, e.payload,
                    case when w.throttled_until is null or w.throttled_until <= now() then (select until from lease) end
                from events e
                join targets w on (w.event_types is null or e.event_type = any(w.event_types)) and (w.owner_is_admin or w.owner = e.owner)
                order by e.position, w.id
                on conflict (endpoint_id, webhook_id) do nothing
                returning seq, webhook_id, endpoint_id, event_type, next_attempt_at, created_at, leased_until),
            summary as materialized (
                select (select count(*) from inserted)::integer as total,
                    (select count(pg_notify('{NotificationChannel}', d.endpoint_id::text)) from (select distinct endpoint_id from inserted where leased_until is null) d) as notified)
            -- At least one row (the summary's); one per leased message, with its endpoint as this transaction sees it.
            select s.total, s.notified, i.seq, i.webhook_id, i.event_type, i.next_attempt_at, i.created_at, i.leased_until, {EndpointStore.Prefixed("w")}
            from summary s left join (inserted i join targets w on w.id = i.endpoint_id) on i.leased_until is not null
            order by i.seq
            """);
        command.Parameters.Add(new() { Value = events.Select(e => e.WebhookId).ToArray() });
        command.Parameters.Add(new() { Value = events.Select(e => e.EventType).ToArray() });
        command.Parameters.Add(new() { Value = events.Select(e => e.Owner).ToArray() });
        command.Parameters.Add(new() { Value = events.Select(e => e.Payload).ToArray() });
        command.Parameters.Add(new() { Value = (object?)lease ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        return command;
    }

    /// <summary><see cref="FanOut"/> on its own, no lease: every endpoint is notified; returns how many messages were written.</summary>
    public static async Task<int> FanOutAsync(NpgsqlTransaction transaction, IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction) { BatchCommands = { FanOut(events) } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return (await ReadFanOutAsync(reader, events, DateTimeOffset.MinValue, cancellationToken)).Count;
    }

    /// <summary>
    /// Reads what <see cref="FanOut"/> returned: how many messages it wrote, and the leased ones with their endpoints, their
    /// bodies encoded once per event. <paramref name="leaseEnds"/> is this process's bound on the lease (its clock, read
    /// before the statement ran, plus the lease), which ends no later than the database's.
    /// </summary>
    public static async Task<FanOutResult> ReadFanOutAsync(NpgsqlDataReader reader, IReadOnlyList<OutgoingEvent> events, DateTimeOffset leaseEnds, CancellationToken cancellationToken)
    {
        var count = 0;
        var leased = new List<LeasedMessage>();
        var bodies = new Dictionary<string, (string Payload, byte[]? Body)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            bodies.TryAdd(e.WebhookId, (e.Payload, null));
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            count = reader.GetInt32(0);
            if (reader.IsDBNull(2))
            {
                continue;
            }

            var webhookId = reader.GetString(3);
            var (payload, body) = bodies[webhookId];
            if (body is null)
            {
                body = Encoding.UTF8.GetBytes(payload);
                bodies[webhookId] = (payload, body);
            }

            var endpoint = EndpointStore.Read(reader, 8);
            var message = new WebhookMessage(
                reader.GetInt64(2), webhookId, endpoint.Id, reader.GetString(4), payload, MessageStatus.Pending, 0, 0,
                reader.GetFieldValue<DateTimeOffset>(5), null, null, null, reader.GetFieldValue<DateTimeOffset>(6));
            leased.Add(new LeasedMessage(endpoint, message, body, reader.GetFieldValue<DateTimeOffset>(7), leaseEnds));
        }

        return new FanOutResult(count, leased);
    }

    /// <summary>A <c>webhook.test</c> message, sent whatever the endpoint subscribes to; null if the endpoint is gone.</summary>
    public async Task<string?> EnqueueTestAsync(Guid endpointId, string payload, CancellationToken cancellationToken)
    {
        var webhookId = WebhookIds.New();
        await using var batch = database.CreateBatch();
        var insert = new NpgsqlBatchCommand("insert into webhook_messages (webhook_id, endpoint_id, event_type, payload) select $1, id, $3, $4 from webhook_endpoints where id = $2 for key share");
        insert.Parameters.Add(new() { Value = webhookId });
        insert.Parameters.Add(new() { Value = endpointId });
        insert.Parameters.Add(new() { Value = WebhookEventTypes.Test });
        insert.Parameters.Add(new() { Value = payload });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(Notify(endpointId));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        // Deleted since it was read: the endpoint lock makes this exact (a deletion waits for the insert, or precedes it).
        if (insert.RecordsAffected == 0)
        {
            return null;
        }

        return webhookId;
    }

    /// <summary>Newest first; <paramref name="before"/> is the cursor a previous page returned.</summary>
    public async Task<IReadOnlyList<WebhookMessage>> ListAsync(Guid endpointId, string? status, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            select {Columns} from webhook_messages
            where endpoint_id = $1 and ($2::text is null or status = $2) and ($3::bigint is null or seq < $3)
            order by seq desc limit $4
            """);
        command.Parameters.Add(new() { Value = endpointId });
        command.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<WebhookMessage?> GetAsync(Guid endpointId, string webhookId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select {Columns} from webhook_messages where endpoint_id = $1 and webhook_id = $2");
        command.Parameters.Add(new() { Value = endpointId });
        command.Parameters.Add(new() { Value = webhookId });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(long messageSeq, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            select id, attempted_at, status_code, latency_ms, response_body, error
            from webhook_attempts where message_seq = $1 order by id
            """);
        command.Parameters.Add(new() { Value = messageSeq });
        var attempts = new List<WebhookAttempt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(new WebhookAttempt(
                reader.GetInt64(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return attempts;
    }

    /// <summary>Sends one message again now, in a new round of the retry schedule, with its original webhook-id.</summary>
    public async Task<bool> RetryAsync(Guid endpointId, string webhookId, CancellationToken cancellationToken) =>
        await RequeueAsync("endpoint_id = $1 and webhook_id = $2", endpointId, webhookId, cancellationToken) == 1;

    /// <summary>Every failed message created since <paramref name="since"/>, again.</summary>
    public Task<int> RecoverAsync(Guid endpointId, DateTimeOffset since, CancellationToken cancellationToken) =>
        RequeueAsync("endpoint_id = $1 and status = 'failed' and created_at >= $2", endpointId, since, cancellationToken);

    private async Task<int> RequeueAsync(string where, Guid endpointId, object argument, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var update = new NpgsqlBatchCommand($"""
            update webhook_messages set status = 'pending', round_attempts = 0, next_attempt_at = now()
            where {where}
            """);
        update.Parameters.Add(new() { Value = endpointId });
        update.Parameters.Add(new() { Value = argument });
        batch.BatchCommands.Add(update);
        batch.BatchCommands.Add(Notify(endpointId));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return update.RecordsAffected;
    }

    /// <summary>
    /// Deletes finished messages (succeeded or failed; their attempts cascade) created before <paramref name="cutoff"/>,
    /// oldest first, at most <paramref name="chunk"/> sequence numbers per statement so no statement holds many locks or
    /// writes much WAL at once. Walks the primary key from the oldest row, as sequence numbers follow creation, and stops
    /// at the first range that starts after the cutoff: no index on the creation time is kept for it. Returns how many
    /// messages went.
    /// </summary>
    public async Task<long> PruneAsync(DateTimeOffset cutoff, int chunk, TimeSpan pause, CancellationToken cancellationToken)
    {
        long deleted = 0;
        // The oldest row, from the primary key alone: a log with nothing old is not scanned.
        await using (var first = database.CreateCommand("select seq from webhook_messages where created_at < $1 and seq = (select min(seq) from webhook_messages)"))
        {
            first.Parameters.Add(new() { Value = cutoff });
            if (await first.ExecuteScalarAsync(cancellationToken) is not long start)
            {
                return 0;
            }

            long? from = start;
            while (from is { } low)
            {
                await using var prune = database.CreateCommand("""
                    with gone as (
                        delete from webhook_messages
                        where seq >= $1 and seq < $1 + $3 and created_at < $2 and status <> 'pending'
                        returning 1),
                    next as (select seq, created_at from webhook_messages where seq >= $1 + $3 order by seq limit 1)
                    select (select count(*) from gone), (select seq from next where created_at < $2)
                    """);
                prune.Parameters.Add(new() { Value = low });
                prune.Parameters.Add(new() { Value = cutoff });
                prune.Parameters.Add(new() { Value = (long)chunk });
                await using var reader = await prune.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                deleted += reader.GetInt64(0);
                from = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                if (from is not null)
                {
                    await Task.Delay(pause, cancellationToken);
                }
            }
        }

        return deleted;
    }

    /// <summary>Wakes the lane of <paramref name="endpointId"/> once the transaction commits.</summary>
    internal static NpgsqlBatchCommand Notify(Guid endpointId)
    {
        var notify = new NpgsqlBatchCommand($"select pg_notify('{NotificationChannel}', $1)");
        notify.Parameters.Add(new() { Value = endpointId.ToString() });
        return notify;
    }

    internal static async Task<List<WebhookMessage>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadAllAsync(reader, cancellationToken);
    }

    internal static async Task<List<WebhookMessage>> ReadAllAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var messages = new List<WebhookMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(Read(reader));
        }

        return messages;
    }

    /// <summary>The row the reader is on, its first columns being <see cref="Columns"/>.</summary>
    internal static WebhookMessage Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetGuid(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetInt32(6),
        reader.GetInt32(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
        reader.IsDBNull(10) ? null : reader.GetInt32(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        reader.GetFieldValue<DateTimeOffset>(12));
}
