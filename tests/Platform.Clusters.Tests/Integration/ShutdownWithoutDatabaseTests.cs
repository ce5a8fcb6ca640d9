using Platform.Clusters.Backends;
using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

/// <summary>
/// A shutdown that stops every cluster while the database is already gone (a local AppHost stops PostgreSQL with the
/// services): the clusters' processes stop anyway, none is orphaned, and the next start tells the user.
/// </summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ShutdownWithoutDatabaseTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task Stopping_every_cluster_at_shutdown_stops_their_processes_when_the_database_refuses_connections()
    {
        using var data = new TestDirectory("clusters-shutdown-nodb");
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("clustersdb_shutdown");
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = data.Path;
        settings["Clusters:StopClustersOnShutdown"] = "true";

        string cluster;
        List<int> pids;
        DatabaseOutage outage;
        var host = ClustersServiceHost.Start(service.Infrastructure, connectionString, settings);
        try
        {
            var user = new ClustersClient(host.CreateClient(), service.Identity, "shutdown-user");
            cluster = await user.CreateAsync();
            await user.WaitForStatusAsync(cluster, "RUNNING");
            await user.ScaleAsync(cluster, 1);
            var details = await user.WaitForDetailsAsync(cluster, d => ClustersClient.RunningWorkers(d) == 1, "one worker");
            pids = [.. details.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("processId").GetInt32())];
            Assert.Equal(2, pids.Count);

            outage = await DatabaseOutage.BeginAsync(service.Infrastructure.Postgres, connectionString);
        }
        finally
        {
            await host.DisposeAsync();
        }

        await using (outage)
        {
            Assert.All(pids, pid => Assert.Null(ClusterProcess.ReadIdentity(pid)));
        }

        // The next start finds the cluster it could not record as stopped, and says what became of it.
        await using var again = ClustersServiceHost.Start(service.Infrastructure, connectionString, settings);
        var client = new ClustersClient(again.CreateClient(), service.Identity, "shutdown-user");
        await client.WaitForStatusAsync(cluster, "FAILED", TimeSpan.FromSeconds(30));
    }
}
