using Npgsql;
using NpgsqlTypes;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>The endpoints table.</summary>
public sealed class EndpointStore(NpgsqlDataSource database)
{
    internal const string Columns = """
        id, owner, owner_is_admin, url, description, event_types, enabled, disabled_reason, secret, previous_secret,
        previous_secret_expires_at, failing_since, throttled_until, created_at, updated_at
        """;

    /// <summary><see cref="Columns"/> of the table aliased <paramref name="alias"/>.</summary>
    internal static string Prefixed(string alias) => string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"{alias}.{c}"));

    public async Task<WebhookEndpoint> CreateAsync(string owner, bool ownerIsAdmin, string url, string description, IReadOnlyList<string>? eventTypes, string sealedSecret, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            insert into webhook_endpoints (id, owner, owner_is_admin, url, description, event_types, secret)
            values ($1, $2, $3, $4, $5, $6, $7)
            returning {Columns}
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = owner });
        command.Parameters.Add(new() { Value = ownerIsAdmin });
        command.Parameters.Add(new() { Value = url });
        command.Parameters.Add(new() { Value = description });
        command.Parameters.Add(new() { Value = (object?)eventTypes?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = sealedSecret });
        return (await ReadAsync(command, cancellationToken)).Single();
    }

    public async Task<WebhookEndpoint?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select {Columns} from webhook_endpoints where id = $1");
        command.Parameters.Add(new() { Value = id });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> ListAsync(string owner, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select {Columns} from webhook_endpoints where owner = $1 order by created_at");
        command.Parameters.Add(new() { Value = owner });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Applies the given changes; enabling again forgets why the endpoint was disabled and how long it failed.</summary>
    public async Task<WebhookEndpoint?> UpdateAsync(Guid id, EndpointChanges changes, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            update webhook_endpoints set
                url = coalesce($2, url),
                description = coalesce($3, description),
                event_types = case when $4 then $5 else event_types end,
                enabled = coalesce($6, enabled),
                disabled_reason = case when $6 is null then disabled_reason when $6 then null else 'Disabled by its owner' end,
                failing_since = case when $6 then null else failing_since end,
                throttled_until = case when $6 then null else throttled_until end,
                updated_at = now()
            where id = $1
            returning {Columns}
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = (object?)changes.Url ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)changes.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = changes.SetEventTypes });
        command.Parameters.Add(new() { Value = (object?)changes.EventTypes?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)changes.Enabled ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
        var updated = (await ReadAsync(command, cancellationToken)).SingleOrDefault();
        if (updated is not null && changes.Enabled == true)
        {
            // Messages that waited while the endpoint was disabled go out now.
            await using var wake = database.CreateBatch();
            wake.BatchCommands.Add(MessageStore.Notify(id));
            await wake.ExecuteNonQueryAsync(cancellationToken);
        }

        return updated;
    }

    /// <summary>
    /// The endpoint, then its messages (their attempts cascade), in one transaction. The delete waits for fan-outs that
    /// locked the endpoint; the messages statement, run after it, sees what they wrote.
    /// </summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var endpoint = new NpgsqlCommand("delete from webhook_endpoints where id = $1", connection, transaction) { Parameters = { new() { Value = id } } };
        if (await endpoint.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await using var messages = new NpgsqlCommand("delete from webhook_messages where endpoint_id = $1", connection, transaction) { Parameters = { new() { Value = id } } };
        await messages.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The current secret becomes the previous one, which keeps signing for <paramref name="overlap"/>.</summary>
    public async Task<WebhookEndpoint?> RotateSecretAsync(Guid id, string sealedSecret, TimeSpan overlap, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            update webhook_endpoints set
                previous_secret = case when $3 > interval '0' then secret end,
                previous_secret_expires_at = case when $3 > interval '0' then now() + $3 end, secret = $2, updated_at = now()
            where id = $1
            returning {Columns}
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = sealedSecret });
        command.Parameters.Add(new() { Value = overlap });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    internal static async Task<List<WebhookEndpoint>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var endpoints = new List<WebhookEndpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            endpoints.Add(Read(reader));
        }

        return endpoints;
    }

    internal static WebhookEndpoint Read(NpgsqlDataReader reader, int first = 0) => new(
        reader.GetGuid(first + 0),
        reader.GetString(first + 1),
        reader.GetBoolean(first + 2),
        reader.GetString(first + 3),
        reader.GetString(first + 4),
        reader.IsDBNull(first + 5) ? null : reader.GetFieldValue<string[]>(first + 5),
        reader.GetBoolean(first + 6),
        reader.IsDBNull(first + 7) ? null : reader.GetString(first + 7),
        reader.GetString(first + 8),
        reader.IsDBNull(first + 9) ? null : reader.GetString(first + 9),
        reader.IsDBNull(first + 10) ? null : reader.GetFieldValue<DateTimeOffset>(first + 10),
        reader.IsDBNull(first + 11) ? null : reader.GetFieldValue<DateTimeOffset>(first + 11),
        reader.IsDBNull(first + 12) ? null : reader.GetFieldValue<DateTimeOffset>(first + 12),
        reader.GetFieldValue<DateTimeOffset>(first + 13),
        reader.GetFieldValue<DateTimeOffset>(first + 14));
}

/// <summary>A PATCH: null leaves a field as it is; <see cref="SetEventTypes"/> distinguishes "all events" (null) from "unchanged".</summary>
public sealed record EndpointChanges(string? Url, string? Description, bool SetEventTypes, IReadOnlyList<string>? EventTypes, bool? Enabled);
