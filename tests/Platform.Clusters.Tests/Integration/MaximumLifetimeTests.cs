using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

[Collection(ClustersServiceCollection.Name)]
public sealed class MaximumLifetimeTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task A_cluster_is_stopped_when_it_reaches_the_maximum_lifetime()
    {
        using var data = new TestDirectory("clusters-lifetime");
        var settings = service.Settings;
        settings["Clusters:DataDirectory"] = data.Path;
        settings["Clusters:Limits:MaxLifetime"] = "00:00:04";
        await using var host = ClustersServiceHost.Start(service.Infrastructure, await service.Infrastructure.CreateDatabaseAsync("clustersdb_lifetime"), settings);
        var user = new ClustersClient(host.CreateClient(), service.Identity, "lifetime-user");

        var name = await user.CreateAsync();
        await user.WaitForStatusAsync(name, "RUNNING");

        var stopped = await Eventually.GetAsync(() => user.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "the cluster to reach its lifetime");
        Assert.InRange(stopped.GetProperty("stop_time").GetInt64() - stopped.GetProperty("start_time").GetInt64(), 4000, 20000);
        var timeline = (await user.DetailsAsync(name)).GetProperty("timeline").EnumerateArray();
        Assert.Contains(timeline, e => e.GetProperty("message").GetString() is { } m && m.Contains("maximum lifetime of 4 s", StringComparison.Ordinal));
    }
}
