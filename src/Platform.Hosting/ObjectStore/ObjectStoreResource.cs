using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.ObjectStore;

/// <summary>
/// The plugin packages' object store, started through <see cref="ObjectStoreServer"/> (its launcher picks the local
/// server). Its connection string is known once it has started, so it is a value that waits for the start.
/// </summary>
public sealed class ObjectStoreResource(string name, string dataDirectory) : Resource(name), IResourceWithConnectionString
{
    private readonly StartedConnectionString connectionString = new(name);

    public string DataDirectory { get; } = dataDirectory;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{connectionString}");

    internal void Started(ObjectStoreServer server) => connectionString.Started.TrySetResult(server.ConnectionString);

    internal void Failed(Exception error) => connectionString.Started.TrySetException(error);

    private sealed class StartedConnectionString(string name) : IValueProvider, IManifestExpressionProvider
    {
        public TaskCompletionSource<string> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string ValueExpression => $"{{{name}.connectionString}}";

        public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            await Started.Task.WaitAsync(cancellationToken);
    }
}

public static class ObjectStoreResourceExtensions
{
    /// <summary>
    /// A configured <c>ConnectionStrings:&lt;name&gt;</c> wins, and a published application is given one (an S3
    /// endpoint of the cluster's); otherwise the local object store, started with the AppHost.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddObjectStore(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (InfrastructureChoice.IsConfigured(builder, name) || builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddConnectionString(name);
        }

        S3rverInstallation.EnsureInstalled(builder);
        var resource = new ObjectStoreResource(name, Path.Combine(InfrastructureChoice.DataDirectory(builder), name));
        var store = builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "ObjectStore", State = KnownResourceStates.NotStarted, Properties = [] })
            .ExcludeFromManifest();

        // DCP does not run it: the launcher does, from here, and the AppHost stops it on its way out.
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, (e, cancellationToken) =>
        {
            _ = RunAsync(resource, e.Services, e.Logger, e.Notifications);
            return Task.CompletedTask;
        });
        return store;
    }

    private static async Task RunAsync(ObjectStoreResource resource, IServiceProvider services, ILogger logger, ResourceNotificationService notifications)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        try
        {
            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
            var server = await ObjectStoreServer.StartAsync(
                new ObjectStoreServerOptions(resource.DataDirectory) { Output = line => logger.LogInformation("{Line}", line) }, lifetime.ApplicationStopping);
            lifetime.ApplicationStopping.Register(() => server.DisposeAsync().AsTask().GetAwaiter().GetResult());
            resource.Started(server);
            logger.LogInformation("Object store: {Description}", server.Description);
            await notifications.PublishUpdateAsync(resource, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = [.. s.Properties, new ResourcePropertySnapshot(CustomResourceKnownProperties.Source, server.Description)],
            });
        }
        catch (Exception e)
        {
            resource.Failed(e);
            logger.LogError(e, "The object store did not start.");
            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
        }
    }
}
