using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Data;

/// <summary>
/// Applies pending migrations at start-up, each in its own transaction, under an advisory lock so that
/// replicas starting together apply each script once. Runs before the outbox relay and the bus start.
/// </summary>
public sealed class DatabaseMigrator(NpgsqlDataSource database, IEnumerable<DatabaseMigrationSource> sources, ILogger<DatabaseMigrator> logger) : IHostedService
{
    // Any constant works; it only has to be the same for every replica of every service sharing a database.
    private const long AdvisoryLockKey = 0x706c_6174_666f_726d;
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + StartupPatience;
        while (true)
        {
            try
            {
                await MigrateAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && DateTimeOffset.UtcNow < deadline)
            {
                logger.LogWarning("Database not reachable yet ({Error}); retrying migrations", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await Execute(connection, null, $"select pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await Execute(connection, null, """
                create table if not exists schema_migrations (
                    component  text        not null,
                    version    integer     not null,
                    name       text        not null,
                    applied_at timestamptz not null default now(),
                    primary key (component, version))
                """, cancellationToken);

            var applied = new HashSet<(string, int)>();
            await using (var query = new NpgsqlCommand("select component, version from schema_migrations", connection))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add((reader.GetString(0), reader.GetInt32(1)));
                }
            }

            foreach (var migration in sources.DistinctBy(s => s.Component).SelectMany(s => s.Load()))
            {
                if (applied.Contains((migration.Component, migration.Version)))
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, transaction, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("insert into schema_migrations (component, version, name) values ($1, $2, $3)", connection, transaction))
                {
                    record.Parameters.Add(new() { Value = migration.Component });
                    record.Parameters.Add(new() { Value = migration.Version });
                    record.Parameters.Add(new() { Value = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Component} {Version:D4} {Name}", migration.Component, migration.Version, migration.Name);
            }
        }
        finally
        {
            await Execute(connection, null, $"select pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
