using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// A server from local binaries (PostgreSQL, RabbitMQ, s3rver), run by DCP as an executable on a loopback port the
/// AppHost chose; the kind that adds it says how clients connect to its <paramref name="scheme"/> endpoint.
/// </summary>
public sealed class LocalServerResource(
    string name, string command, string workingDirectory, string scheme, int port, Func<EndpointReference, ReferenceExpression> connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public string Scheme { get; } = scheme;

    public EndpointReference PrimaryEndpoint => new(this, Scheme);

    public ReferenceExpression ConnectionStringExpression => connectionString(PrimaryEndpoint);
}

public static class LocalServerExtensions
{
    /// <summary>
    /// Not behind DCP's proxy: after a killed server was started again, the proxied port stopped answering while the new
    /// process listened (seen in the fault suite), and every call paid the extra hop. Published manifests have the
    /// container form instead, or a configured connection string.
    /// </summary>
    public static IResourceBuilder<LocalServerResource> AddLocalServer(
        this IDistributedApplicationBuilder builder, LocalServerResource server, IEnumerable<string> arguments) =>
        builder.AddResource(server)
            .WithEndpoint(port: server.Port, scheme: server.Scheme, name: server.Scheme, isProxied: false)
            .WithArgs([.. arguments])
            .ExcludeFromManifest();
}
