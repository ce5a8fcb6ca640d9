using Npgsql;

namespace Platform.Hosting.Infrastructure;

/// <summary>Creating a database on any PostgreSQL server we can log in to as a user allowed to CREATE DATABASE.</summary>
public static class PostgresDatabases
{
    /// <summary>Creates the database unless it exists; safe to call concurrently for the same name.</summary>
    public static async Task EnsureExistsAsync(string serverConnectionString, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        // Asked first, so a warm start does not log an error per database in the server's console.
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(name);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another caller created it between our check and our CREATE: the outcome we wanted.
        }
    }
}
