using Npgsql;
using Platform.Testing.Servers;

namespace Platform.Testing;

/// <summary>
/// One database refusing every connection (its open ones cut), as while PostgreSQL restarts, without stopping the
/// shared server other tests use. Disposing it lets connections in again.
/// </summary>
public sealed class DatabaseOutage : IAsyncDisposable
{
    private readonly NpgsqlDataSource admin;
    private readonly string database;

    private DatabaseOutage(NpgsqlDataSource admin, string database)
    {
        this.admin = admin;
        this.database = database;
    }

    public static async Task<DatabaseOutage> BeginAsync(PostgresServer server, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(server);
        var outage = new DatabaseOutage(NpgsqlDataSource.Create(server.GetConnectionString()), new NpgsqlConnectionStringBuilder(connectionString).Database!);
        await outage.AllowConnectionsAsync(false);
        await using var terminate = outage.admin.CreateCommand("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1");
        terminate.Parameters.Add(new NpgsqlParameter { Value = outage.database });
        await terminate.ExecuteNonQueryAsync();
        return outage;
    }

    public async ValueTask DisposeAsync()
    {
        await AllowConnectionsAsync(true);
        await admin.DisposeAsync();
    }

    private async Task AllowConnectionsAsync(bool allowed)
    {
        await using var alter = admin.CreateCommand($"alter database \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" allow_connections {(allowed ? "true" : "false")}");
        await alter.ExecuteNonQueryAsync();
    }
}
