using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting.Postgres;

/// <summary>PostgreSQL from the local Debian binaries, run by DCP as an executable; its cluster lives in the data folder.</summary>
public sealed class LocalPostgresServerResource(string name, PostgresCluster cluster, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    public PostgresCluster Cluster { get; } = cluster;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={PostgresCluster.SuperUser};Password={Cluster.Password}");

    internal List<LocalPostgresDatabaseResource> Databases { get; } = [];
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>, created when the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={Name}");
}
