using System.Text.Json;
using Npgsql;

namespace Platform.Auth.Tests.Support;

/// <summary>Direct reads of an Auth database, for what the API does not show (the outbox, stored keys).</summary>
public static class AuthDatabase
{
    public sealed record OutboxEvent(string Type, JsonElement Body, bool Dispatched);

    public static async Task<IReadOnlyList<OutboxEvent>> OutboxAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select message_type, body::text, dispatched_at is not null from outbox_messages order by sequence", connection);
        var events = new List<OutboxEvent>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add(new OutboxEvent(reader.GetString(0).Split(',')[0].Split('.')[^1], JsonDocument.Parse(reader.GetString(1)).RootElement.Clone(), reader.GetBoolean(2)));
        }

        return events;
    }

    /// <summary>Waits until the relay has handed every event to the broker (it marks a row only after the broker confirmed it).</summary>
    public static async Task<IReadOnlyList<OutboxEvent>> DispatchedOutboxAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var events = await OutboxAsync(connectionString);
            if (events.All(e => e.Dispatched) || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(200);
        }
    }

    public static async Task<IReadOnlyList<string>> StoredPrivateKeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select private_key from signing_keys", connection);
        var pems = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pems.Add(reader.GetString(0));
        }

        return pems;
    }
}
