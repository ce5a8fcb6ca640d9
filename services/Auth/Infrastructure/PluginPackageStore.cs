using Npgsql;
using Platform.Contracts.Plugins;

namespace Platform.Auth.Infrastructure;

/// <summary>One plugin as the Plugins service last reported it; <see cref="Version"/> is null once it was removed.</summary>
public sealed record PluginPackageRow(string Name, string? Version, string? PackageKey, IReadOnlyList<string> Capabilities, bool Enabled, DateTimeOffset ChangedAt);

/// <summary>
/// <c>plugin_packages</c>: the registry's events folded into one row per plugin. An event older than the row is ignored,
/// so redelivered or reordered events leave the newest state in place.
/// </summary>
public sealed class PluginPackageStore(NpgsqlDataSource database)
{
    /// <summary>Folds one registry event (installed, enabled, disabled or removed) into its plugin's row; returns the plugin's name.</summary>
    public async Task<string> RecordAsync<TEvent>(TEvent registryEvent, CancellationToken cancellationToken)
        where TEvent : class
    {
        switch (registryEvent)
        {
            case PluginInstalled installed:
                await UpsertAsync(installed.Name, installed.Version, installed.PackageKey, installed.Capabilities, installed.Enabled, installed.InstalledAt, cancellationToken);
                return installed.Name;
            case PluginEnabled enabled:
                await UpsertAsync(enabled.Name, enabled.Version, enabled.PackageKey, enabled.Capabilities, true, enabled.EnabledAt, cancellationToken);
                return enabled.Name;
            case PluginDisabled disabled:
                await DisableAsync(disabled, cancellationToken);
                return disabled.Name;
            case PluginRemoved removed:
                await UpsertAsync(removed.Name, null, null, [], false, removed.RemovedAt, cancellationToken);
                return removed.Name;
            default:
                throw new ArgumentException($"{typeof(TEvent).Name} is not a plugin registry event.", nameof(registryEvent));
        }
    }

    public async Task<PluginPackageRow?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select name, version, package_key, capabilities, enabled, changed_at from plugin_packages where name = $1");
        command.Parameters.Add(new() { Value = name });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<string>> ListNamesAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select name from plugin_packages order by name");
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    // A disable carries no package: it turns the row off and keeps what the last install or enable wrote.
    private async Task DisableAsync(PluginDisabled disabled, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            insert into plugin_packages as p (name, enabled, changed_at) values ($1, false, $2)
            on conflict (name) do update set enabled = false, changed_at = excluded.changed_at where p.changed_at <= excluded.changed_at
            """);
        command.Parameters.Add(new() { Value = disabled.Name });
        command.Parameters.Add(new() { Value = disabled.DisabledAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task UpsertAsync(string name, string? version, string? packageKey, IReadOnlyList<string> capabilities, bool enabled, DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            insert into plugin_packages as p (name, version, package_key, capabilities, enabled, changed_at) values ($1, $2, $3, $4, $5, $6)
            on conflict (name) do update set version = excluded.version, package_key = excluded.package_key, capabilities = excluded.capabilities,
                enabled = excluded.enabled, changed_at = excluded.changed_at
            where p.changed_at <= excluded.changed_at
            """);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = (object?)version ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)packageKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = capabilities.ToArray() });
        command.Parameters.Add(new() { Value = enabled });
        command.Parameters.Add(new() { Value = changedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<PluginPackageRow>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<PluginPackageRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PluginPackageRow(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<string[]>(3),
                reader.GetBoolean(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }
}
