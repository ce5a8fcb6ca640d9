using MassTransit;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// <see cref="IdempotentConsumer{TMessage}"/> for a batch: the inbox rows of every message and their effects commit in
/// one transaction, so a burst costs one commit (one WAL flush) instead of one per message. A failure rolls the whole
/// batch back and MassTransit redelivers it; messages already handled are skipped by their inbox rows.
/// </summary>
public abstract class IdempotentBatchConsumer<TMessage>(NpgsqlDataSource database, ILogger logger) : IConsumer<Batch<TMessage>>
    where TMessage : class
{
    /// <summary>Stable name under which this consumer records what it has handled (the same as the one-at-a-time form).</summary>
    protected virtual string ConsumerName => GetType().FullName!;

    public async Task Consume(ConsumeContext<Batch<TMessage>> context)
    {
        var messages = context.Message;
        var ids = new Guid[messages.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            ids[i] = messages[i].MessageId ?? throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a MessageId; it cannot be deduplicated.");
        }

        var cancellationToken = context.CancellationToken;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One statement claims the whole batch; a concurrent duplicate blocks on the primary key until the first commits.
        var claimed = new HashSet<Guid>();
        await using (var claim = new NpgsqlCommand("insert into inbox_messages (message_id, consumer) select distinct unnest($1::uuid[]), $2 on conflict do nothing returning message_id", connection, transaction))
        {
            claim.Parameters.Add(new() { Value = ids });
            claim.Parameters.Add(new() { Value = ConsumerName });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(reader.GetGuid(0));
            }
        }

        // In arrival order; Remove also skips a message the broker delivered twice within one batch.
        for (var i = 0; i < messages.Length; i++)
        {
            if (claimed.Remove(ids[i]))
            {
                await HandleAsync(messages[i].Message, transaction, messages[i]);
            }
            else
            {
                logger.LogDebug("{Consumer} already handled message {MessageId}", ConsumerName, ids[i]);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Applies one message's effect inside <paramref name="transaction"/>, shared by the whole batch.</summary>
    protected abstract Task HandleAsync(TMessage message, NpgsqlTransaction transaction, ConsumeContext<TMessage> context);
}
