using MassTransit;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// <see cref="IdempotentConsumer{TMessage}"/> for a batch: one statement claims the inbox rows of every message, and the
/// effects of the messages not handled before are applied together, set-based, in the same transaction; a burst costs a
/// few round trips and one commit instead of several per message. A batch that fails is applied again one message at a
/// time, so a poisoned message fails alone: the others commit, and the batch is rethrown for MassTransit's retry and
/// error queue, where the inbox rows make the committed messages no-ops.
/// </summary>
public abstract class IdempotentBatchConsumer<TMessage>(NpgsqlDataSource database, ILogger logger) : IConsumer<Batch<TMessage>>
    where TMessage : class
{
    /// <summary>Stable name under which this consumer records what it has handled (the same as the one-at-a-time form).</summary>
    protected virtual string ConsumerName => GetType().FullName!;

    public async Task Consume(ConsumeContext<Batch<TMessage>> context)
    {
        var messages = new ConsumeContext<TMessage>[context.Message.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = context.Message[i];
            if (messages[i].MessageId is null)
            {
                throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a MessageId; it cannot be deduplicated.");
            }
        }

        var cancellationToken = context.CancellationToken;
        try
        {
            await ApplyAsync(messages, cancellationToken);
            return;
        }
        catch (Exception e) when (messages.Length > 1 && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Consumer} could not apply a batch of {Count} ({Error}); applying its messages one at a time", ConsumerName, messages.Length, e.Message);
        }

        List<Exception>? failures = null;
        foreach (var message in messages)
        {
            try
            {
                await ApplyAsync([message], cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("{Consumer} could not apply message {MessageId} ({Error})", ConsumerName, message.MessageId, e.Message);
                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException($"{failures.Count} of {messages.Length} {typeof(TMessage).Name} messages could not be applied; the others are committed.", failures);
        }
    }

    private async Task ApplyAsync(IReadOnlyList<ConsumeContext<TMessage>> messages, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One statement claims the whole batch; a concurrent duplicate blocks on the primary key until the first commits.
        var claimed = new HashSet<Guid>();
        await using (var claim = new NpgsqlCommand("insert into inbox_messages (message_id, consumer) select distinct unnest($1::uuid[]), $2 on conflict do nothing returning message_id", connection, transaction))
        {
            claim.Parameters.Add(new() { Value = messages.Select(m => m.MessageId!.Value).ToArray() });
            claim.Parameters.Add(new() { Value = ConsumerName });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(reader.GetGuid(0));
            }
        }

        // In arrival order; Remove also skips a message the broker delivered twice within one batch.
        var fresh = new List<ConsumeContext<TMessage>>(claimed.Count);
        foreach (var message in messages)
        {
            if (claimed.Remove(message.MessageId!.Value))
            {
                fresh.Add(message);
            }
            else
            {
                logger.LogDebug("{Consumer} already handled message {MessageId}", ConsumerName, message.MessageId);
            }
        }

        var committed = fresh.Count > 0 ? await HandleBatchAsync(fresh, transaction, cancellationToken) : null;
        await transaction.CommitAsync(cancellationToken);
        committed?.Invoke();
    }

    /// <summary>
    /// Applies the effects of <paramref name="messages"/> (in arrival order, each seen for the first time) inside
    /// <paramref name="transaction"/>; events it enqueues in the outbox commit with it. Returns what to run once that
    /// transaction has committed (null: nothing), e.g. handing the rows it wrote to in-process workers; never run otherwise.
    /// </summary>
    protected abstract Task<Action?> HandleBatchAsync(IReadOnlyList<ConsumeContext<TMessage>> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken);
}
