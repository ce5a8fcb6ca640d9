using Platform.Clusters.Backends;
using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

/// <summary>A restarted service reconciles: live clusters are adopted, dead ones marked FAILED and cleaned up.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ServiceRestartTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task A_restarted_service_adopts_live_clusters_and_fails_those_whose_scheduler_died()
    {
        using var data = new TestDirectory("clusters-restart");
        var connectionString = await service.Infrastructure.CreateDatabaseAsync("clustersdb_restart");
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = data.Path;
        settings["Clusters:StopClustersOnShutdown"] = "false";

        string survivor, casualty;
        int casualtyScheduler, survivorWorker;
        await using (var first = ClustersServiceHost.Start(service.Infrastructure, connectionString, settings))
        {
            var user = new ClustersClient(first.CreateClient(), service.Identity, "restart-user");
            survivor = await user.CreateAsync();
            casualty = await user.CreateAsync();
            await user.WaitForStatusAsync(survivor, "RUNNING");
            await user.WaitForStatusAsync(casualty, "RUNNING");
            await user.ScaleAsync(survivor, 1);
            var details = await user.WaitForDetailsAsync(survivor, d => ClustersClient.RunningWorkers(d) == 1, "one worker");
            survivorWorker = details.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("role").GetString() == "worker").GetProperty("processId").GetInt32();
            casualtyScheduler = (await user.DetailsAsync(casualty)).GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("role").GetString() == "scheduler").GetProperty("processId").GetInt32();
        }

        // While the service is down, one scheduler dies.
        Assert.NotNull(ClusterProcess.ReadIdentity(survivorWorker));
        System.Diagnostics.Process.GetProcessById(casualtyScheduler).Kill();
        await Eventually.TrueAsync(() => ClusterProcess.ReadIdentity(casualtyScheduler) is null, TimeSpan.FromSeconds(10), "the scheduler to die");

        settings["Clusters:StopClustersOnShutdown"] = "true";
        await using var second = ClustersServiceHost.Start(service.Infrastructure, connectionString, settings);
        var again = new ClustersClient(second.CreateClient(), service.Identity, "restart-user");

        var failed = await again.WaitForStatusAsync(casualty, "FAILED", TimeSpan.FromSeconds(30));
        Assert.Contains("no longer running when the service restarted", (await again.DetailsAsync(casualty)).GetProperty("failureReason").GetString(), StringComparison.Ordinal);

        var adopted = await again.GetAsync(survivor);
        Assert.Equal("RUNNING", adopted.GetProperty("status").GetString());
        var survivorDetails = await again.WaitForDetailsAsync(survivor, d => ClustersClient.RunningWorkers(d) == 1, "the adopted worker to be seen");
        Assert.Contains(survivorDetails.GetProperty("processes").EnumerateArray(), p => p.GetProperty("processId").GetInt32() == survivorWorker);

        await again.ScaleAsync(survivor, 2);
        var scaled = await again.WaitForDetailsAsync(survivor, d => ClustersClient.RunningWorkers(d) == 2, "a second worker on the adopted cluster");
        Assert.Equal("2\n42", await DaskClient.RunAsync(adopted, scaled.GetProperty("schedulerAddress").GetString()!, """
            print(len(client.scheduler_info()["workers"]))
            print(client.submit(lambda x: x + 1, 41).result())
            """));
        var pids = scaled.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("processId").GetInt32()).ToList();

        await again.StopAsync(survivor);
        await Eventually.GetAsync(() => again.GetAsync(survivor), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "STOPPED");
        Assert.All(pids, pid => Assert.Null(ClusterProcess.ReadIdentity(pid)));
    }
}
