using Npgsql;
using NpgsqlTypes;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>An endpoint's due messages, leased to one worker until <see cref="LeasedUntil"/> (the database's clock).</summary>
public sealed record DeliveryClaim(WebhookEndpoint? Endpoint, IReadOnlyList<WebhookMessage> Messages, DateTimeOffset LeasedUntil)
{
    public static DeliveryClaim None(WebhookEndpoint? endpoint) => new(endpoint, [], DateTimeOffset.MinValue);
}

/// <summary>One attempt to record, the message's state after it, and the lease it was sent under (the record's guard).</summary>
public sealed record RecordedAttempt(
    long MessageSeq,
    DateTimeOffset LeasedUntil,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    int LatencyMilliseconds,
    string? ResponseBody,
    string? Error,
    string Status,
    DateTimeOffset? NextAttemptAt);

/// <summary>What a batch's attempts did to their endpoint.</summary>
public sealed record EndpointChange(Guid EndpointId, bool AnyDelivered, DateTimeOffset? FailingSince, DateTimeOffset? ThrottledUntil, string? DisableReason);

/// <summary>
/// The delivery worker's statements: a claim is one autocommitted <c>UPDATE … FOR UPDATE SKIP LOCKED … RETURNING</c> that
/// leases the messages, so two workers never claim one message and none holds a transaction while it sends; a batch's
/// attempts and the messages' new states are one statement whatever the batch size.
/// </summary>
public sealed class DeliveryStore(NpgsqlDataSource database)
{
    /// <summary>
    /// Leases up to <paramref name="limit"/> due messages of an endpoint that is enabled and not throttled, and reads the
    /// endpoint, in one round trip.
    /// </summary>
    public async Task<DeliveryClaim> ClaimAsync(Guid endpointId, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var select = new NpgsqlBatchCommand($"select {EndpointStore.Columns} from webhook_endpoints where id = $1");
        select.Parameters.Add(new() { Value = endpointId });
        batch.BatchCommands.Add(select);
        var claim = new NpgsqlBatchCommand($"""
            update webhook_messages set leased_until = now() + $3
            where seq in (
                select seq from webhook_messages
                where endpoint_id = $1 and status = 'pending' and next_attempt_at <= now() and (leased_until is null or leased_until <= now())
                  and exists (select 1 from webhook_endpoints e where e.id = $1 and e.enabled and (e.throttled_until is null or e.throttled_until <= now()))
                order by next_attempt_at, seq limit $2
                for update skip locked)
            returning {MessageStore.Columns}, leased_until
            """);
        claim.Parameters.Add(new() { Value = endpointId });
        claim.Parameters.Add(new() { Value = limit });
        claim.Parameters.Add(new() { Value = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        batch.BatchCommands.Add(claim);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var endpoint = await reader.ReadAsync(cancellationToken) ? EndpointStore.Read(reader) : null;
        await reader.NextResultAsync(cancellationToken);
        var messages = new List<WebhookMessage>();
        var leasedUntil = DateTimeOffset.MinValue;
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(MessageStore.Read(reader));
            leasedUntil = reader.GetFieldValue<DateTimeOffset>(13);
        }

        // RETURNING keeps no order: each endpoint's messages are sent in the order they were due.
        messages.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Seq.CompareTo(b.Seq));
        return new DeliveryClaim(endpoint, messages, leasedUntil);
    }

    /// <summary>
    /// Every attempt, the messages' new states and the endpoint's, in one round trip. A message whose lease this worker
    /// lost (it expired and another worker claimed it) keeps the other worker's state; its attempt is logged all the same.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<RecordedAttempt> attempts, EndpointChange endpoint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        // This commit need not wait for the disk: lost in a crash, an attempt is only made again (same webhook-id), never lost.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("set local synchronous_commit to off"));
        var record = new NpgsqlBatchCommand("""
            with logged as (
                insert into webhook_attempts (message_seq, attempted_at, status_code, latency_ms, response_body, error)
                select u.* from unnest($1::bigint[], $2::timestamptz[], $3::integer[], $4::integer[], $5::text[], $6::text[]) as u (seq)
                -- No lock keeps an endpoint's deletion (its messages cascade) waiting for the send any more.
                where exists (select 1 from webhook_messages m where m.seq = u.seq))
            update webhook_messages m set status = u.status, attempts = m.attempts + 1, round_attempts = m.round_attempts + 1,
                next_attempt_at = coalesce(u.next_attempt_at, m.next_attempt_at), last_attempt_at = u.attempted_at,
                last_status = u.status_code, last_error = u.error, leased_until = null
            from unnest($1::bigint[], $7::text[], $8::timestamptz[], $2::timestamptz[], $3::integer[], $6::text[], $9::timestamptz[])
                as u (seq, status, next_attempt_at, attempted_at, status_code, error, leased_until)
            where m.seq = u.seq and m.leased_until = u.leased_until
            """);
        record.Parameters.Add(new() { Value = attempts.Select(a => a.MessageSeq).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.AttemptedAt).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.StatusCode).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.LatencyMilliseconds).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.ResponseBody).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.Error).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.Status).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.NextAttemptAt).ToArray() });
        record.Parameters.Add(new() { Value = attempts.Select(a => a.LeasedUntil).ToArray() });
        batch.BatchCommands.Add(record);

        var update = new NpgsqlBatchCommand("""
            update webhook_endpoints set
                failing_since = case when $2 then null else coalesce(failing_since, $3) end,
                throttled_until = greatest(throttled_until, $4),
                enabled = enabled and $5::text is null,
                disabled_reason = coalesce($5, disabled_reason),
                updated_at = case when $5::text is null then updated_at else now() end
            -- A healthy endpoint's delivered batch changes nothing: its row is not rewritten (nor locked) once per batch.
            where id = $1 and not ($2 and failing_since is null and $4::timestamptz is null and $5::text is null)
            """);
        update.Parameters.Add(new() { Value = endpoint.EndpointId });
        update.Parameters.Add(new() { Value = endpoint.AnyDelivered });
        update.Parameters.Add(new() { Value = (object?)endpoint.FailingSince ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new() { Value = (object?)endpoint.ThrottledUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new() { Value = (object?)endpoint.DisableReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(update);

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Gives leased messages that were not sent back at once (a stopping worker), rather than at the lease's end.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<(long Seq, DateTimeOffset LeasedUntil)> leases, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            update webhook_messages m set leased_until = null
            from unnest($1::bigint[], $2::timestamptz[]) as u (seq, leased_until)
            where m.seq = u.seq and m.leased_until = u.leased_until
            """);
        command.Parameters.Add(new() { Value = leases.Select(l => l.Seq).ToArray() });
        command.Parameters.Add(new() { Value = leases.Select(l => l.LeasedUntil).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
