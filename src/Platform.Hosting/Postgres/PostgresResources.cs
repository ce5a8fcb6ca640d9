using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
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
    private IResourceBuilder<LocalPostgresServerResource>? local;

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

        local ??= AddLocalServer();
        var database = new LocalPostgresDatabaseResource(databaseName, local.Resource);
        local.Resource.Databases.Add(database);
        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", State = KnownResourceStates.NotStarted, Properties = [] })
            .ExcludeFromManifest();
    }

    private IResourceBuilder<LocalPostgresServerResource> AddLocalServer()
    {
        InfrastructureChoice.EnsureInstalled(builder, "PostgreSQL", "postgresql", () => ExecutableSearch.PostgresBinDirectory() is not null);
        var cluster = PostgresCluster.At(Path.Combine(InfrastructureChoice.DataDirectory(builder), name));
        var port = FreePort.Pick();
        var (command, arguments) = cluster.ServerCommand(port);
        var healthCheck = $"{name}_accepts_connections";
        var probe = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = PostgresCluster.SuperUser,
            Password = cluster.Password,
            Pooling = false,
            Timeout = 2,
        };
        builder.Services.AddHealthChecks().AddNpgSql(probe.ConnectionString, name: healthCheck);
        // Not behind DCP's proxy: after PostgreSQL was killed and started again, the proxied port stopped answering
        // while the new server listened (seen in the fault suite), and every query of every service paid the extra hop.
        var server = builder.AddResource(new LocalPostgresServerResource(name, cluster, command, cluster.Root))
            .WithEndpoint(port: port, scheme: "tcp", name: LocalPostgresServerResource.EndpointName, isProxied: false)
            .WithArgs([.. arguments])
            .WithHealthCheck(healthCheck)
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server.Resource, async (e, cancellationToken) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server.Resource);
            await cluster.PrepareAsync(line => logger.LogInformation("{Line}", line), cancellationToken);
        });

        // Databases have no process of their own: they run once created on a ready server.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (e, cancellationToken) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var serverConnection = await server.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            foreach (var database in server.Resource.Databases)
            {
                await PostgresDatabases.EnsureExistsAsync(serverConnection!, database.Name, cancellationToken);
                await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
            }
        });
        return server;
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
