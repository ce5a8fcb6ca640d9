using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.ObjectStore;

/// <summary>The plugin packages' object store for local runs: s3rver (a real S3 server on node), run by DCP as an executable.</summary>
public sealed class ObjectStoreResource(string name, IReadOnlyList<string> command, string workingDirectory)
    : ExecutableResource(name, command[0], workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "http";
    internal const string Bucket = "platform";

    /// <summary>What runs before s3rver's own arguments: its launcher, or node with the installed script.</summary>
    internal IReadOnlyList<string> S3rverCommand { get; } = command;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Endpoint=http://{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)};AccessKey={S3rver.AccessKey};SecretKey={S3rver.SecretKey};Bucket={Bucket}");
}

public static class ObjectStoreResourceExtensions
{
    private const string PortPlaceholder = "<port>";

    // s3rver has no health route: any HTTP answer (an unsigned request is refused) means it serves.
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>
    /// A configured <c>ConnectionStrings:&lt;name&gt;</c> wins, and a published application is given one (an S3
    /// endpoint of the cluster's); otherwise s3rver on the data folder, installed first when it is missing.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddObjectStore(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (InfrastructureChoice.IsConfigured(builder, name) || builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddConnectionString(name);
        }

        var command = S3rverInstallation.EnsureInstalled(builder);
        var root = Path.Combine(InfrastructureChoice.DataDirectory(builder), name);
        Directory.CreateDirectory(root);
        var resource = new ObjectStoreResource(name, command, root);
        return builder.AddResource(resource)
            // Not behind DCP's proxy (see the PostgreSQL resource): a restarted server is reached directly.
            .WithEndpoint(port: FreePort.Pick(), scheme: "http", name: ObjectStoreResource.EndpointName, isProxied: false)
            .WithArgs(context =>
            {
                foreach (var argument in resource.S3rverCommand.Skip(1).Concat(S3rver.Arguments(Path.Combine(root, "s3rver"), PortPlaceholder, ObjectStoreResource.Bucket)))
                {
                    context.Args.Add(argument == PortPlaceholder ? resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort) : argument);
                }
            })
            .WithHealthCheck(RegisterHealthCheck(builder, resource))
            .ExcludeFromManifest();
    }

    private static string RegisterHealthCheck(IDistributedApplicationBuilder builder, ObjectStoreResource resource)
    {
        var key = $"{resource.Name}_answers";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new ProbeHealthCheck(async cancellationToken =>
        {
            using var response = await Probe.GetAsync(new Uri(resource.PrimaryEndpoint.Url), cancellationToken);
            return HealthCheckResult.Healthy();
        }), failureStatus: null, tags: null));
        return key;
    }
}
