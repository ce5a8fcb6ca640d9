using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Postgres;

/// <summary>
/// PostgreSQL whatever runs it. Per database, a configured <c>ConnectionStrings:&lt;name&gt;</c> wins; otherwise one
/// server holds them all: Aspire's container where a container runtime answers (and always when publishing, so the
/// manifest is portable), else the local Debian binaries run by DCP.
/// </summary>
public sealed class PostgresResources
{
    private const string PortPlaceholder = "<port>";

    private readonly IDistributedApplicationBuilder builder;
    private readonly string name;
    private IResourceBuilder<PostgresServerResource>? container;
    private IResourceBuilder<LocalPostgresServerResource>? local;

    internal PostgresResources(IDistributedApplicationBuilder builder, string name)
    {
        this.builder = builder;
        this.name = name;
    }

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
        var (command, _) = cluster.ServerCommand("0");
        var resource = new LocalPostgresServerResource(name, cluster, command, cluster.Root);
        // Not behind DCP's proxy: after PostgreSQL was killed and started again, the proxied port stopped answering
        // while the new server listened (seen in the fault suite), and every query of every service paid the extra hop.
        var server = builder.AddResource(resource)
            .WithEndpoint(port: FreePort.Pick(), scheme: "tcp", name: LocalPostgresServerResource.EndpointName, isProxied: false)
            .WithArgs(context =>
            {
                // The same command line, with the port DCP allocates behind the endpoint.
                var (_, arguments) = cluster.ServerCommand(PortPlaceholder);
                foreach (var argument in arguments)
                {
                    context.Args.Add(argument == PortPlaceholder ? resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort) : argument);
                }
            })
            .WithHealthCheck(RegisterHealthCheck(builder, name))
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

    private static string RegisterHealthCheck(IDistributedApplicationBuilder builder, string resourceName)
    {
        var key = $"{resourceName}_accepts_connections";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, services =>
            new ProbeHealthCheck(async cancellationToken =>
            {
                var resource = services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresServerResource>().Single(r => r.Name == resourceName);
                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }), failureStatus: null, tags: null));
        return key;
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
