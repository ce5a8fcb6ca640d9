using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Postgres;

/// <summary>
/// PostgreSQL whatever runs it. Per database, a configured <c>ConnectionStrings:&lt;name&gt;</c> wins; otherwise one
/// server holds them all: Aspire's container where a container runtime answers (and always when publishing, so the
/// manifest is portable), else the local Debian binaries run by DCP.
/// </summary>
public sealed class PostgresResources(IDistributedApplicationBuilder builder, string name)
{
    private IResourceBuilder<PostgresServerResource>? container;
    private IResourceBuilder<LocalServerResource>? local;

    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string databaseName)
    {
        if (InfrastructureChoice.IsConfigured(builder, databaseName))
        {
            return builder.AddConnectionString(databaseName);
        }

        if (InfrastructureChoice.UseContainer(builder))
        {
            container ??= builder.AddPostgres(name).WithDataVolume();
            return container.AddDatabase(databaseName);
        }

        // A database has no process of its own: it runs once created on the ready server (Aspire's connection string
        // resource waits for the server to start; creating the database waits for it to be healthy).
        var server = local ??= AddLocalServer();
        return builder.AddConnectionString(databaseName, ReferenceExpression.Create($"{server.Resource};Database={databaseName}"))
            .WithParentRelationship(server)
            .OnBeforeResourceStarted(async (_, e, cancellationToken) =>
            {
                await e.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(name, cancellationToken);
                var serverConnection = await server.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                await PostgresDatabases.EnsureExistsAsync(serverConnection!, databaseName, cancellationToken);
            });
    }

    private IResourceBuilder<LocalServerResource> AddLocalServer()
    {
        PackageInstaller.EnsureInstalled(builder, "PostgreSQL", "postgresql", () => ExecutableSearch.PostgresBinDirectory() is not null);
        var cluster = PostgresCluster.At(Path.Combine(InfrastructureChoice.DataDirectory(builder), name));
        var port = FreePort.Pick();
        var (command, arguments) = cluster.ServerCommand(port);
        var server = new LocalServerResource(name, command, cluster.Root, "tcp", port, endpoint => ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={PostgresCluster.SuperUser};Password={cluster.Password}"));
        var healthCheck = $"{name}_accepts_connections";
        builder.Services.AddHealthChecks().AddNpgSql(
            $"Host=127.0.0.1;Port={port};Username={PostgresCluster.SuperUser};Password={cluster.Password};Pooling=false;Timeout=2", name: healthCheck);
        return builder.AddLocalServer(server, arguments)
            .WithHealthCheck(healthCheck)
            .OnBeforeResourceStarted((resource, e, cancellationToken) =>
            {
                var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
                return cluster.PrepareAsync(line => logger.LogInformation("{Line}", line), cancellationToken);
            });
    }
}

public static class PostgresResourceExtensions
{
    public static PostgresResources AddPostgresResources(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return new PostgresResources(builder, name);
    }
}
