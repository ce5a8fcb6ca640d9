using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using HealthChecks.NpgSql;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Platform.ServiceDefaults.Data;

public static class DatabaseExtensions
{
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
            dataSource => dataSource.ConnectionStringBuilder.ApplicationName ??= builder.Environment.ApplicationName);
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

        // Registered before the bus and the outbox relay so their hosted services start on a migrated schema.
        builder.Services.AddHostedService<DatabaseMigrator>();

        return builder;
    }
}
