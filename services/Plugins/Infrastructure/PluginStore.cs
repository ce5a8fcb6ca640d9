using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Plugins.Infrastructure;

/// <summary>An installed plugin: the active version, whether it is enabled, and the version a restore goes back to.</summary>
public sealed record PluginRow(string Name, string Version, string? PreviousVersion, bool Enabled, DateTimeOffset InstalledAt, DateTimeOffset UpdatedAt);

/// <summary>One stored version of a plugin.</summary>
public sealed record PluginVersionRow(string Name, string Version, string PackageId, string PackageKey, long SizeBytes, string Sha256, IReadOnlyDictionary<string, IReadOnlyList<string>> Capabilities, DateTimeOffset UploadedAt)
{
    public IReadOnlyList<string> CapabilityNames => [.. Capabilities.Keys];
}

/// <summary>
/// The registry in <c>pluginsdb</c>. Every change commits with its integration event (outbox), so the services hosting a
/// capability hear of it exactly when it becomes true.
/// </summary>
public sealed class PluginStore(NpgsqlDataSource database, IntegrationEventOutbox outbox, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string PackageKey(string name, string version) => $"plugins/{name}/{version}.nupkg";

    public async Task<PluginRow?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select name, version, previous_version, enabled, installed_at, updated_at from plugins where name = $1");
        command.Parameters.Add(new() { Value = name });
        return (await ReadPluginsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<PluginRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select name, version, previous_version, enabled, installed_at, updated_at from plugins order by name");
        return await ReadPluginsAsync(command, cancellationToken);
    }

    public async Task<PluginVersionRow?> GetVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "select name, version, package_id, package_key, size_bytes, sha256, capabilities::text, uploaded_at from plugin_versions where name = $1 and version = $2");
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = version });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PluginVersionRow(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetInt64(4),
            reader.GetString(5),
            JsonSerializer.Deserialize<Dictionary<string, IReadOnlyList<string>>>(reader.GetString(6), Json)!,
            reader.GetFieldValue<DateTimeOffset>(7));
    }

    /// <summary>Records a new version as the active one; the version it replaces becomes the one to restore. The enabled flag is kept.</summary>
    public async Task<PluginRow> InstallAsync(PluginVersionRow version, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            """
            insert into plugin_versions (name, version, package_id, package_key, size_bytes, sha256, capabilities, uploaded_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            connection,
            transaction))
        {
            insert.Parameters.Add(new() { Value = version.Name });
            insert.Parameters.Add(new() { Value = version.Version });
            insert.Parameters.Add(new() { Value = version.PackageId });
            insert.Parameters.Add(new() { Value = version.PackageKey });
            insert.Parameters.Add(new() { Value = version.SizeBytes });
            insert.Parameters.Add(new() { Value = version.Sha256 });
            insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(version.Capabilities, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new() { Value = now });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        PluginRow row;
        await using (var upsert = new NpgsqlCommand(
            """
            insert into plugins as p (name, version, enabled, installed_at, updated_at) values ($1, $2, false, $3, $3)
            on conflict (name) do update set previous_version = p.version, version = excluded.version, updated_at = excluded.updated_at
            returning name, version, previous_version, enabled, installed_at, updated_at
            """,
            connection,
            transaction))
        {
            upsert.Parameters.Add(new() { Value = version.Name });
            upsert.Parameters.Add(new() { Value = version.Version });
            upsert.Parameters.Add(new() { Value = now });
            row = (await ReadPluginsAsync(upsert, cancellationToken)).Single();
        }

        await outbox.EnqueueAsync(transaction, new PluginInstalled(row.Name, row.Version, version.PackageKey, version.CapabilityNames, row.Enabled, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    public async Task<PluginRow?> SetEnabledAsync(string name, PluginVersionRow version, bool enabled, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            "update plugins set enabled = $2, updated_at = $3 where name = $1 returning name, version, previous_version, enabled, installed_at, updated_at",
            connection,
            transaction);
        update.Parameters.Add(new() { Value = name });
        update.Parameters.Add(new() { Value = enabled });
        update.Parameters.Add(new() { Value = now });
        var row = (await ReadPluginsAsync(update, cancellationToken)).SingleOrDefault();
        if (row is null)
        {
            return null;
        }

        if (enabled)
        {
            await outbox.EnqueueAsync(transaction, new PluginEnabled(name, row.Version, version.PackageKey, version.CapabilityNames, now), cancellationToken);
        }
        else
        {
            await outbox.EnqueueAsync(transaction, new PluginDisabled(name, now), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>Makes the previous version active again (and the current one the previous); null when there is none.</summary>
    public async Task<PluginRow?> RestoreAsync(string name, PluginVersionRow previous, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            """
            update plugins set version = previous_version, previous_version = version, updated_at = $2
            where name = $1 and previous_version is not null
            returning name, version, previous_version, enabled, installed_at, updated_at
            """,
            connection,
            transaction);
        update.Parameters.Add(new() { Value = name });
        update.Parameters.Add(new() { Value = now });
        var row = (await ReadPluginsAsync(update, cancellationToken)).SingleOrDefault();
        if (row is null)
        {
            return null;
        }

        await outbox.EnqueueAsync(transaction, new PluginInstalled(row.Name, row.Version, previous.PackageKey, previous.CapabilityNames, row.Enabled, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>Deletes the plugin, its versions and its state; returns the package keys to delete from the object store.</summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var keys = new List<string>();
        await using (var versions = new NpgsqlCommand("delete from plugin_versions where name = $1 returning package_key", connection, transaction))
        {
            versions.Parameters.Add(new() { Value = name });
            await using var reader = await versions.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                keys.Add(reader.GetString(0));
            }
        }

        foreach (var sql in new[] { "delete from plugins where name = $1", "delete from plugin_state where plugin = $1" })
        {
            await using var delete = new NpgsqlCommand(sql, connection, transaction);
            delete.Parameters.Add(new() { Value = name });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(transaction, new PluginRemoved(name, time.GetUtcNow()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return keys;
    }

    private static async Task<List<PluginRow>> ReadPluginsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<PluginRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PluginRow(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetBoolean(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }
}
