using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>How a batch went: messages claimed, and the earliest time this endpoint has work again (retry or throttle).</summary>
public sealed record BatchResult(int Claimed, DateTimeOffset? NextDue)
{
    public static readonly BatchResult Empty = new(0, null);
}

/// <summary>
/// Delivers one batch of due messages to one endpoint. The rows stay locked (<c>FOR UPDATE SKIP LOCKED</c>) from claim
/// to the commit that records the attempts, so another replica never sends them meanwhile, and a replica killed
/// mid-delivery releases them at once (its connection drops, the transaction rolls back, nothing is lost).
/// </summary>
public sealed class EndpointDelivery(
    NpgsqlDataSource database,
    WebhookSender sender,
    EndpointSecrets secrets,
    IOptions<WebhookSettings> options,
    TimeProvider time,
    ILogger<EndpointDelivery> logger)
{
    public async Task<BatchResult> DeliverBatchAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        var settings = options.Value.Delivery;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One round trip: the endpoint, and its due messages locked unless it is disabled or throttled.
        WebhookEndpoint? endpoint;
        List<WebhookMessage> messages;
        var claimStarted = Stopwatch.GetTimestamp();
        await using (var claim = new NpgsqlBatch(connection, transaction))
        {
            var select = new NpgsqlBatchCommand($"select {EndpointStore.Columns} from webhook_endpoints where id = $1");
            select.Parameters.Add(new() { Value = endpointId });
            claim.BatchCommands.Add(select);
            var due = new NpgsqlBatchCommand($"""
                select {MessageStore.Columns} from webhook_messages
                where endpoint_id = $1 and status = 'pending' and next_attempt_at <= now()
                  and exists (select 1 from webhook_endpoints e where e.id = $1 and e.enabled and (e.throttled_until is null or e.throttled_until <= now()))
                order by next_attempt_at, seq limit $2
                for update skip locked
                """);
            due.Parameters.Add(new() { Value = endpointId });
            due.Parameters.Add(new() { Value = Math.Max(1, settings.BatchSize) });
            claim.BatchCommands.Add(due);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            endpoint = await reader.ReadAsync(cancellationToken) ? EndpointStore.Read(reader) : null;
            await reader.NextResultAsync(cancellationToken);
            messages = await MessageStore.ReadAllAsync(reader, cancellationToken);
        }

        DeliveryMetrics.Stage("claim", claimStarted);

        var now = time.GetUtcNow();
        if (endpoint is null || !endpoint.Enabled)
        {
            return BatchResult.Empty;
        }

        if (endpoint.ThrottledUntil > now)
        {
            return new BatchResult(0, endpoint.ThrottledUntil);
        }

        if (messages.Count == 0)
        {
            return BatchResult.Empty;
        }

        var keys = SigningKeys(endpoint, now);
        // A batch larger than the concurrency limit shares one claim and one commit among more deliveries.
        var results = new AttemptResult[messages.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, messages.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrencyPerEndpoint), CancellationToken = cancellationToken },
            async (i, token) => results[i] = await sender.SendAsync(endpoint.Url, messages[i].WebhookId, Encoding.UTF8.GetBytes(messages[i].Payload), keys, token));

        now = time.GetUtcNow();
        var effect = new EndpointEffect(endpoint.FailingSince);
        var decisions = new DeliveryDecision[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            decisions[i] = DeliveryPolicy.Decide(results[i].Outcome, messages[i].RoundAttempts + 1, now, endpoint.FailingSince ?? effect.FailingSince, settings);
            effect.Add(results[i], decisions[i]);
        }

        var recordStarted = Stopwatch.GetTimestamp();
        await using var record = new NpgsqlBatch(connection, transaction);
        record.BatchCommands.Add(RecordAttempts(messages, results, decisions));
        AddEndpointEffect(record, endpoint, effect);

        // This commit need not wait for the disk: lost in a crash, an attempt is only made again (same webhook-id), never lost.
        record.BatchCommands.Add(new NpgsqlBatchCommand("set local synchronous_commit to off"));
        await record.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        DeliveryMetrics.Stage("record", recordStarted);
        DeliveryMetrics.Messages.Add(messages.Count);

        if (effect.DisableReason is { } reason)
        {
            logger.LogWarning("Disabled webhook endpoint {EndpointId} of {Owner}: {Reason}", endpoint.Id, endpoint.Owner, reason);
        }

        return new BatchResult(messages.Count, Earliest(effect.NextDue, effect.ThrottledUntil));
    }

    private List<byte[]> SigningKeys(WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var keys = new List<byte[]> { WebhookSecret.KeyBytes(secrets.Unseal(endpoint.SealedSecret)) };
        if (endpoint.SealedPreviousSecret is { } previous && endpoint.PreviousSecretExpiresAt > now)
        {
            keys.Add(WebhookSecret.KeyBytes(secrets.Unseal(previous)));
        }

        return keys;
    }

    /// <summary>Every attempt of the batch and its message's new state in one statement, whatever the batch size.</summary>
    private static NpgsqlBatchCommand RecordAttempts(List<WebhookMessage> messages, AttemptResult[] results, DeliveryDecision[] decisions)
    {
        var command = new NpgsqlBatchCommand("""
            with attempts as (
                insert into webhook_attempts (message_seq, attempted_at, status_code, latency_ms, response_body, error)
                select * from unnest($1::bigint[], $2::timestamptz[], $3::integer[], $4::integer[], $5::text[], $6::text[]))
            update webhook_messages m set status = u.status, attempts = m.attempts + 1, round_attempts = m.round_attempts + 1,
                next_attempt_at = coalesce(u.next_attempt_at, m.next_attempt_at), last_attempt_at = u.attempted_at,
                last_status = u.status_code, last_error = u.error
            from unnest($1::bigint[], $7::text[], $8::timestamptz[], $2::timestamptz[], $3::integer[], $6::text[])
                as u (seq, status, next_attempt_at, attempted_at, status_code, error)
            where m.seq = u.seq
            """);
        command.Parameters.Add(new() { Value = messages.Select(m => m.Seq).ToArray() });
        command.Parameters.Add(new() { Value = results.Select(r => r.AttemptedAt).ToArray() });
        command.Parameters.Add(new() { Value = results.Select(r => r.Outcome.StatusCode).ToArray() });
        command.Parameters.Add(new() { Value = results.Select(r => r.LatencyMilliseconds).ToArray() });
        command.Parameters.Add(new() { Value = results.Select(r => r.ResponseBody).ToArray() });
        command.Parameters.Add(new() { Value = results.Select(r => r.Outcome.Error).ToArray() });
        command.Parameters.Add(new() { Value = decisions.Select(Status).ToArray() });
        command.Parameters.Add(new() { Value = decisions.Select(d => d.NextAttemptAt).ToArray() });
        return command;
    }

    private static string Status(DeliveryDecision decision) => decision.Verdict switch
    {
        DeliveryVerdict.Delivered => MessageStatus.Succeeded,
        DeliveryVerdict.RetryLater => MessageStatus.Pending,
        _ => MessageStatus.Failed,
    };

    /// <summary>Last in the transaction, so the endpoint row is locked only for the moment of the commit.</summary>
    private static void AddEndpointEffect(NpgsqlBatch batch, WebhookEndpoint endpoint, EndpointEffect effect)
    {
        var update = new NpgsqlBatchCommand("""
            update webhook_endpoints set
                failing_since = case when $2 then null else coalesce(failing_since, $3) end,
                throttled_until = greatest(throttled_until, $4),
                enabled = enabled and $5::text is null,
                disabled_reason = coalesce($5, disabled_reason),
                updated_at = case when $5::text is null then updated_at else now() end
            where id = $1
            """);
        update.Parameters.Add(new() { Value = endpoint.Id });
        update.Parameters.Add(new() { Value = effect.AnyDelivered });
        update.Parameters.Add(new() { Value = (object?)effect.FailingSince ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new() { Value = (object?)effect.ThrottledUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new() { Value = (object?)effect.DisableReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(update);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>What a batch's attempts mean for their endpoint.</summary>
    private sealed class EndpointEffect(DateTimeOffset? failingSince)
    {
        public DateTimeOffset? FailingSince { get; private set; } = failingSince;
        public bool AnyDelivered { get; private set; }
        public DateTimeOffset? ThrottledUntil { get; private set; }
        public DateTimeOffset? NextDue { get; private set; }
        public string? DisableReason { get; private set; }

        public void Add(AttemptResult result, DeliveryDecision decision)
        {
            if (decision.Verdict == DeliveryVerdict.Delivered)
            {
                AnyDelivered = true;
                return;
            }

            FailingSince ??= result.AttemptedAt;
            DisableReason ??= decision.DisableReason;
            if (decision.ThrottledUntil is { } until && (ThrottledUntil is null || until > ThrottledUntil))
            {
                ThrottledUntil = until;
            }

            if (decision.NextAttemptAt is { } next && (NextDue is null || next < NextDue))
            {
                NextDue = next;
            }
        }
    }
}
