using Platform.Testing;

namespace Platform.Clusters.Tests.Support;

/// <summary>
/// One Clusters service for the integration tests: real PostgreSQL and RabbitMQ (shared per test run), a data
/// folder of its own, the test identity key trusted, and limits small enough for a 2-core machine.
/// Disposing it stops every cluster (<c>StopClustersOnShutdown</c>), so no Dask process outlives the run.
/// </summary>
public sealed class ClustersServiceFixture : IAsyncLifetime
{
    /// <summary>The shared secret the Proxy presents to read every running cluster's routes.</summary>
    public const string ProxyToken = "6b1d3c0f2a9e4d7c8b5a6f1e0d9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928171";

    public InfrastructureFixture Infrastructure { get; } = new();
    public TestIdentity Identity { get; } = new();
    public TestDirectory Data { get; } = new("clusters");
    public ClustersServiceHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public Dictionary<string, string?> Settings => new(Identity.Configuration)
    {
        ["Clusters:DataDirectory"] = Data.Path,
        ["Proxy:Token"] = ProxyToken,
        ["Clusters:StopClustersOnShutdown"] = "true",
        ["Clusters:ReconcileInterval"] = "00:00:00.300",
        // As deployed: a retiring worker closes itself within it; at 5 s a loaded CI machine stopped one first.
        ["Clusters:StopGracePeriod"] = "00:00:10",
        ["Clusters:AdaptiveWindow"] = "2",
        // An extra option, so a test can give one cluster a start timeout too short to make.
        ["Clusters:Options:8:Field"] = "start_timeout",
        ["Clusters:Options:8:Type"] = "float",
        ["Clusters:Options:8:Default"] = "60",
        ["Clusters:Options:8:Min"] = "0.01",
        ["Clusters:Options:8:Max"] = "600",
        ["Clusters:Limits:MaxWorkers"] = "3",
        ["Clusters:Limits:MaxCores"] = "8",
        ["Clusters:Limits:MaxMemoryGiB"] = "4",
        ["Clusters:Limits:IdleTimeout"] = "01:00:00",
        ["Clusters:Quotas:User:MaxClusters"] = "4",
        ["Clusters:Quotas:User:MaxWorkers"] = "6",
        ["Clusters:Quotas:Users:frugal:MaxClusters"] = "1",
        ["Clusters:Quotas:Users:frugal:MaxWorkers"] = "1",
        ["Clusters:Quotas:Groups:physics:MaxClusters"] = "2",
        ["Clusters:Quotas:Groups:physics:MaxCores"] = "2",
    };

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        var connectionString = await Infrastructure.CreateDatabaseAsync("clustersdb");
        Host = ClustersServiceHost.Start(Infrastructure, connectionString, Settings);
        Http = Host.CreateClient();
    }

    public ClustersClient As(string user, bool admin = false, params string[] groups) => new(Http, Identity, user, admin, groups);

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Identity.Dispose();
        Data.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClustersServiceCollection : ICollectionFixture<ClustersServiceFixture>
{
    public const string Name = "Clusters service";
}
