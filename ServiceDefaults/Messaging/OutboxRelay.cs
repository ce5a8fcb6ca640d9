using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.ServiceDefaults.Messaging;

public sealed class OutboxRelayOptions
{
    public int BatchSize { get; set; } = 100;

    /// <summary>The fallback poll: how often the table is read when no notification arrives (one can be lost on reconnect).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one publish may wait for the broker before the batch is retried later.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaximumBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan KeepDispatchedFor { get; set; } = TimeSpan.FromDays(2);
}

/// <summary>
/// Publishes committed outbox rows a batch at a time: one read, the publishes of each run of one message type in
/// flight at once, each marked dispatched only after the broker confirmed it, and one statement to mark them. A publish
/// that fails stops the batch and leaves its row pending, retried with backoff; nothing is dropped.
/// </summary>
public sealed class OutboxRelay(
    NpgsqlDataSource database,
    IBus bus,
    IOptions<OutboxRelayOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly ConcurrentDictionary<string, Type?> MessageTypes = new(StringComparer.Ordinal);
    private readonly DatabaseNotifications notifications = new(database, IntegrationEventOutbox.NotificationChannel, options.Value.PollInterval, logger);
    private DateTimeOffset nextPrune = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var listening = notifications.ListenAsync(stoppingToken);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await RelayBatchAsync(settings, stoppingToken);
                failures = 0;
                await PruneAsync(settings, stoppingToken);
                if (published == settings.BatchSize)
                {
                    continue;
                }

                await notifications.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(settings.MaximumBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10))));
                logger.LogWarning("Outbox relay could not publish ({Error}); retrying in {Backoff}", e.Message, backoff);
                try
                {
                    await Task.Delay(backoff, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await listening;
    }

    /// <summary>Publishes up to one batch. Returns how many rows were dispatched.</summary>
    public async Task<int> RelayBatchAsync(OutboxRelayOptions settings, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var pending = new List<PendingMessage>();
        await using (var select = new NpgsqlCommand(
            """
            select sequence, message_id, message_type, body::text, trace_parent, trace_state
            from outbox_messages where dispatched_at is null
            order by sequence limit $1
            for update skip locked
            """,
            connection,
            transaction))
        {
            select.Parameters.Add(new() { Value = settings.BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add(new PendingMessage(
                    reader.GetInt64(0),
                    reader.GetGuid(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        if (pending.Count == 0)
        {
            return 0;
        }

        var dispatched = new List<long>(pending.Count);
        var failed = new List<long>();
        Exception? failure = null;
        foreach (var run in RunsOfOneType(pending))
        {
            // A run's confirms overlap instead of queueing one by one. Each type has its own queues, so an event of
            // another type waits for the run before it: consumers keep the head start the commit order gave them.
            var publishes = run.Select(message => PublishAsync(message, settings, cancellationToken)).ToArray();
            // Each publish's outcome is read below; WhenAll would rethrow only the first failure.
            await Task.WhenAll(publishes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            for (var i = 0; i < run.Count; i++)
            {
                if (publishes[i].IsCompletedSuccessfully)
                {
                    dispatched.Add(run[i].Sequence);
                }
                else
                {
                    failed.Add(run[i].Sequence);
                    failure ??= publishes[i].Exception?.InnerException ?? new OperationCanceledException();
                }
            }

            // A failure stops the batch, so nothing overtakes the event that failed; the rest waits for the retry.
            if (failure is not null)
            {
                break;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        await using var record = new NpgsqlBatch(connection, transaction);
        if (dispatched.Count > 0)
        {
            // clock_timestamp: the moment the broker had them all, not when this transaction began.
            var mark = new NpgsqlBatchCommand("update outbox_messages set dispatched_at = clock_timestamp(), attempts = attempts + 1 where sequence = any($1)");
            mark.Parameters.Add(new() { Value = dispatched.ToArray() });
            record.BatchCommands.Add(mark);
        }

        if (failure is not null)
        {
            var unconfirmed = new NpgsqlBatchCommand("update outbox_messages set attempts = attempts + 1, last_error = $2 where sequence = any($1)");
            unconfirmed.Parameters.Add(new() { Value = failed.ToArray() });
            unconfirmed.Parameters.Add(new() { Value = failure.GetType().Name + ": " + failure.Message });
            record.BatchCommands.Add(unconfirmed);
        }

        await record.ExecuteNonQueryAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        if (failure is not null)
        {
            throw new OutboxPublishException($"published {dispatched.Count} of {pending.Count}; the rest wait for the broker", failure);
        }

        return dispatched.Count;
    }

    private async Task PublishAsync(PendingMessage message, OutboxRelayOptions settings, CancellationToken cancellationToken)
    {
        var type = MessageTypes.GetOrAdd(message.MessageType, static name => Type.GetType(name, throwOnError: false))
            ?? throw new InvalidOperationException($"Outbox message {message.MessageId} has an unknown type '{message.MessageType}'.");
        var body = JsonSerializer.Deserialize(message.Body, type, IntegrationEventOutbox.SerializerOptions)
            ?? throw new InvalidOperationException($"Outbox message {message.MessageId} has an empty body.");

        // Continue the trace of the request that committed the event, so publish and consume join it.
        ActivityContext.TryParse(message.TraceParent, message.TraceState, isRemote: true, out var parent);
        using var activity = PlatformTelemetry.Source.StartActivity($"outbox relay {type.Name}", ActivityKind.Internal, parent);
        activity?.SetTag("messaging.message.id", message.MessageId);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.PublishTimeout);

        // WaitAsync as well: a publish waiting for a transport that never becomes ready does not always observe its token.
        await bus.Publish(body, type, context => context.MessageId = message.MessageId, timeout.Token)
            .WaitAsync(settings.PublishTimeout, cancellationToken);
    }

    /// <summary>Consecutive messages of one type, in sequence order.</summary>
    private static IEnumerable<List<PendingMessage>> RunsOfOneType(List<PendingMessage> pending)
    {
        var run = new List<PendingMessage>();
        foreach (var message in pending)
        {
            if (run.Count > 0 && run[0].MessageType != message.MessageType)
            {
                yield return run;
                run = [];
            }

            run.Add(message);
        }

        yield return run;
    }

    private async Task PruneAsync(OutboxRelayOptions settings, CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow < nextPrune)
        {
            return;
        }

        nextPrune = DateTimeOffset.UtcNow.AddHours(1);
        await using var prune = database.CreateCommand("delete from outbox_messages where dispatched_at < now() - $1");
        prune.Parameters.Add(new() { Value = settings.KeepDispatchedFor });
        await prune.ExecuteNonQueryAsync(cancellationToken);
    }

    public override void Dispose()
    {
        notifications.Dispose();
        base.Dispose();
    }

    private sealed record PendingMessage(long Sequence, Guid MessageId, string MessageType, string Body, string? TraceParent, string? TraceState);
}

public sealed class OutboxPublishException(string message, Exception inner) : Exception(message, inner);
