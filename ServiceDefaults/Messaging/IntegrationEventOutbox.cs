using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>
/// Records an integration event in the caller's transaction; the <see cref="OutboxRelay"/> publishes it after commit.
/// A rolled-back transaction therefore publishes nothing, and a committed one is published even if the broker is down now.
/// </summary>
public sealed class IntegrationEventOutbox
{
    internal const string NotificationChannel = "platform_outbox";

    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    public async Task<Guid> EnqueueAsync<TEvent>(NpgsqlTransaction transaction, TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(integrationEvent);
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed.");
        var messageId = NewId.NextGuid();
        var activity = Activity.Current;

        // pg_notify is transactional: the relay is woken only when (and if) this transaction commits.
        await using var batch = new NpgsqlBatch(connection, transaction);
        var insert = new NpgsqlBatchCommand("insert into outbox_messages (message_id, message_type, body, trace_parent, trace_state) values ($1, $2, $3, $4, $5)");
        insert.Parameters.Add(new() { Value = messageId });
        insert.Parameters.Add(new() { Value = MessageTypeName(typeof(TEvent)) });
        insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(integrationEvent, SerializerOptions), NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new() { Value = (object?)activity?.Id ?? DBNull.Value });
        insert.Parameters.Add(new() { Value = (object?)activity?.TraceStateString ?? DBNull.Value });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select pg_notify('{NotificationChannel}', '')"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return messageId;
    }

    /// <summary>"Namespace.Type, Assembly": enough for <see cref="Type.GetType(string)"/> and stable across versions.</summary>
    internal static string MessageTypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
