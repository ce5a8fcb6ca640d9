using Npgsql;

namespace Platform.Hosting.Infrastructure;

/// <summary>Creating a database on any PostgreSQL server we can log in to as a user allowed to CREATE DATABASE.</summary>
public static class PostgresDatabases
{
    /// <summary>Creates the database unless it exists; safe to call concurrently for the same name.</summary>
    public static async Task EnsureExistsAsync(string serverConnectionString, string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(ct);
        if (await ExistsAsync(connection, name, ct))
        {
            return;
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(name)}", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another caller created it between our check and our CREATE: the outcome we wanted.
        }
    }

    public static async Task<bool> ExistsAsync(string serverConnectionString, string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(ct);
        return await ExistsAsync(connection, name, ct);
    }

    /// <summary>The same server and credentials, another database.</summary>
    public static string WithDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(name);
        return await exists.ExecuteScalarAsync(ct) is not null;
    }

    private static string QuoteIdentifier(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
