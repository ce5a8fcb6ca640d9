using System.Reflection;
using HealthChecks.NpgSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.ServiceDefaults.Data;

public static class DatabaseExtensions
{
    /// <summary>How many distinct statements each connection prepares automatically (Npgsql's <c>Max Auto Prepare</c>).</summary>
    public const int AutoPreparedStatements = 64;

    /// <summary>
    /// The service's own PostgreSQL database from <c>ConnectionStrings:&lt;connectionName&gt;</c>, its migrations
    /// (the platform's messaging tables and the service assembly's <c>migrations/*.sql</c>) and a readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformDatabase(this IHostApplicationBuilder builder, string connectionName, Assembly? migrationsAssembly = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured (env ConnectionStrings__{connectionName}).");
        }

        // Aspire.Npgsql: the data source from configuration (Aspire:Npgsql settings included), its tracing and metrics.
        // The health check is the same library's, named after the database as /health has always shown it.
        builder.AddNpgsqlDataSource(
            connectionName,
            settings => settings.DisableHealthChecks = true,
            dataSource =>
            {
                dataSource.ConnectionStringBuilder.ApplicationName ??= builder.Environment.ApplicationName;
                // Statements a service runs again and again are prepared on each connection once, so PostgreSQL no longer
                // parses and plans them at every execution: a third less database CPU per webhook delivery (bench/Webhooks).
                // PostgreSQL plans a prepared statement again whenever its tables' statistics change: a plan it made while a
                // table was nearly empty (a fresh install; it may scan the table whole) is replaced at autovacuum's next
                // ANALYZE of that table, which follows its first 50 changes.
                // A connection string that says "Max Auto Prepare" keeps its own value (0 turns it off).
                if (!Says(connectionString, "MaxAutoPrepare"))
                {
                    dataSource.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
                }

                // Npgsql prefers GSS (Kerberos) encryption by default, so every new connection first asks GSSAPI for
                // credentials, which loads System.Net.Security's native shim and the Kerberos libraries (1.2 MB resident
                // per service, bench/Memory --files) to learn there are none. The platform's PostgreSQL authenticates with
                // passwords; a connection string that says "GSS Encryption Mode" keeps its own value.
                if (!Says(connectionString, "GssEncryptionMode"))
                {
                    dataSource.ConnectionStringBuilder.GssEncryptionMode = GssEncryptionMode.Disable;
                }
            });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            sp => new NpgSqlHealthCheck(new NpgSqlHealthCheckOptions(sp.GetRequiredService<NpgsqlDataSource>())),
            failureStatus: null,
            tags: ["ready"]));
        builder.Services.AddSingleton(new DatabaseMigrationSource("platform", typeof(DatabaseExtensions).Assembly));
        var assembly = migrationsAssembly ?? Assembly.GetEntryAssembly();
        if (assembly is not null && assembly != typeof(DatabaseExtensions).Assembly)
        {
            builder.Services.AddSingleton(new DatabaseMigrationSource(assembly.GetName().Name!, assembly));
        }

        // Every service's database holds the outbox (the platform migrations create it), so every service reports it.
        builder.Services.AddDatabaseGauge(new DatabaseGauge(
            "platform.outbox.depth", "{message}", "Integration events committed but not yet relayed to the bus",
            "select count(*) from outbox_messages where dispatched_at is null"));
        builder.Services.AddDatabaseGauge(new DatabaseGauge(
            "platform.outbox.lag", "s", "Age of the oldest integration event not yet relayed to the bus",
            "select coalesce(extract(epoch from now() - min(created_at)), 0) from outbox_messages where dispatched_at is null"));

        // Registered before the bus and the outbox relay so their hosted services start on a migrated schema.
        builder.Services.AddHostedService<DatabaseMigrator>();

        return builder;
    }

    // NpgsqlConnectionStringBuilder.ContainsKey is true for every keyword it knows, set or not: ask the string itself.
    private static bool Says(string connectionString, string keyword) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals(keyword, StringComparison.OrdinalIgnoreCase));
}
