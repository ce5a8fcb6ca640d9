using Npgsql;
using Platform.Plugins.Sdk;

namespace Platform.Plugins.Loading;

/// <summary>The <see cref="IPluginState"/> of each plugin: rows of <c>plugin_state</c> under the plugin's name.</summary>
public sealed class PluginStateStore(NpgsqlDataSource database)
{
    public const int MaxValueLength = 64 * 1024;

    public IPluginState For(string plugin) => new State(database, plugin);

    private sealed class State(NpgsqlDataSource database, string plugin) : IPluginState
    {
        public async Task SetAsync(string key, string value, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, MaxValueLength, nameof(value));
            await using var command = database.CreateCommand("insert into plugin_state (plugin, key, value) values ($1, $2, $3) on conflict (plugin, key) do update set value = excluded.value");
            command.Parameters.Add(new() { Value = plugin });
            command.Parameters.Add(new() { Value = key });
            command.Parameters.Add(new() { Value = value });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            await using var command = database.CreateCommand("select value from plugin_state where plugin = $1 and key = $2");
            command.Parameters.Add(new() { Value = plugin });
            command.Parameters.Add(new() { Value = key });
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }

        public async Task<IReadOnlyDictionary<string, string>> ListAsync(string prefix, CancellationToken cancellationToken = default)
        {
            await using var command = database.CreateCommand("select key, value from plugin_state where plugin = $1 and starts_with(key, $2) order by key");
            command.Parameters.Add(new() { Value = plugin });
            command.Parameters.Add(new() { Value = prefix ?? "" });
            var entries = new Dictionary<string, string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries[reader.GetString(0)] = reader.GetString(1);
            }

            return entries;
        }

        public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
        {
            await using var command = database.CreateCommand("delete from plugin_state where plugin = $1 and key = $2");
            command.Parameters.Add(new() { Value = plugin });
            command.Parameters.Add(new() { Value = key });
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
    }
}
