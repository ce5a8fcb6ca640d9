using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.ServiceDefaults.Messaging;

public sealed class OutboxRelayOptions
{
    public int BatchSize { get; set; } = 100;

    /// <summary>How often the table is polled when no notification arrives (notifications can be lost on reconnect).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one publish may wait for the broker before the batch is retried later.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaximumBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan KeepDispatchedFor { get; set; } = TimeSpan.FromDays(2);
}

/// <summary>
/// Publishes committed outbox rows in order, marking each dispatched only after the broker confirmed it.
/// A failed publish stops the batch (order is kept) and is retried with backoff; nothing is dropped.
/// </summary>
public sealed class OutboxRelay(
    NpgsqlDataSource database,
    IBus bus,
    IOptions<OutboxRelayOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly SemaphoreSlim wakeUp = new(0, 1);
    private DateTimeOffset nextPrune = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _ = ListenAsync(stoppingToken);
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

                await WaitAsync(settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(settings.MaximumBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10))));
                logger.LogWarning("Outbox relay could not publish ({Error}); retrying in {Backoff}", e.Message, backoff);
                await WaitAsync(backoff, stoppingToken);
            }
        }
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
        Exception? failure = null;
        foreach (var message in pending)
        {
            try
            {
                await PublishAsync(message, settings, cancellationToken);
                dispatched.Add(message.Sequence);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = e;
                await using var record = new NpgsqlCommand("update outbox_messages set attempts = attempts + 1, last_error = $2 where sequence = $1", connection, transaction);
                record.Parameters.Add(new() { Value = message.Sequence });
                record.Parameters.Add(new() { Value = e.GetType().Name + ": " + e.Message });
                await record.ExecuteNonQueryAsync(CancellationToken.None);
                break;
            }
        }

        if (dispatched.Count > 0)
        {
            await using var mark = new NpgsqlCommand("update outbox_messages set dispatched_at = now(), attempts = attempts + 1 where sequence = any($1)", connection, transaction);
            mark.Parameters.Add(new() { Value = dispatched.ToArray() });
            await mark.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        if (failure is not null)
        {
            throw new OutboxPublishException($"published {dispatched.Count} of {pending.Count}; the rest wait for the broker", failure);
        }

        return dispatched.Count;
    }

    private async Task PublishAsync(PendingMessage message, OutboxRelayOptions settings, CancellationToken cancellationToken)
    {
        var type = Type.GetType(message.MessageType, throwOnError: false)
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

    private async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await wakeUp.WaitAsync(delay, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Wake()
    {
        if (wakeUp.CurrentCount == 0)
        {
            try
            {
                wakeUp.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled by a concurrent notification.
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Wake();
                await using (var listen = new NpgsqlCommand($"listen {IntegrationEventOutbox.NotificationChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Anything committed while we were not listening is picked up by this first wake.
                Wake();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogDebug("Outbox notification listener lost its connection ({Error}); polling until it is back", e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private sealed record PendingMessage(long Sequence, Guid MessageId, string MessageType, string Body, string? TraceParent, string? TraceState);
}

public sealed class OutboxPublishException(string message, Exception inner) : Exception(message, inner);
