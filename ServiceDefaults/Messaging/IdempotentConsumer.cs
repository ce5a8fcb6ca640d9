using MassTransit;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// A consumer whose effect is applied at most once per message: the inbox row and the effect commit together,
/// so a redelivered message (at-least-once delivery) finds its row and does nothing.
/// </summary>
public abstract class IdempotentConsumer<TMessage>(NpgsqlDataSource database, ILogger logger) : IConsumer<TMessage>
    where TMessage : class
{
    /// <summary>Stable name under which this consumer records what it has handled.</summary>
    protected virtual string ConsumerName => GetType().FullName!;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException($"{typeof(TMessage).Name} arrived without a MessageId; it cannot be deduplicated.");
        var cancellationToken = context.CancellationToken;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // A concurrent duplicate blocks on the primary key until the first commits, then inserts nothing.
        await using (var claim = new NpgsqlCommand("insert into inbox_messages (message_id, consumer) values ($1, $2) on conflict do nothing", connection, transaction))
        {
            claim.Parameters.Add(new() { Value = messageId });
            claim.Parameters.Add(new() { Value = ConsumerName });
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                logger.LogDebug("{Consumer} already handled message {MessageId}", ConsumerName, messageId);
                return;
            }
        }

        await HandleAsync(context.Message, transaction, context);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Applies the effect inside <paramref name="transaction"/>; events it enqueues in the outbox commit with it.</summary>
    protected abstract Task HandleAsync(TMessage message, NpgsqlTransaction transaction, ConsumeContext<TMessage> context);
}
