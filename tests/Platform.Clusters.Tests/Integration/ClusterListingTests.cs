using System.Text.Json;
using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

/// <summary>The default listing of the compatible API, as dask-gateway's <c>list_clusters()</c> sees it.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ClusterListingTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task A_STOPPING_cluster_leaves_the_default_listing_at_once_but_is_listed_when_asked_for_by_status()
    {
        var user = service.As("listing-user");
        var name = await user.CreateAsync();
        var cluster = await user.WaitForStatusAsync(name, "RUNNING");
        Assert.Contains(name, Names(await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")));

        // A scheduler that ignores SIGTERM keeps the cluster STOPPING for the stop grace period (10 s here, as deployed).
        var scheduler = (await user.DetailsAsync(name)).GetProperty("schedulerAddress").GetString()!;
        await DaskClient.RunAsync(cluster, scheduler, """
            import signal
            client.run_on_scheduler(lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN) and None)
            """);
        await user.StopAsync(name);

        Assert.Equal("STOPPING", (await user.GetAsync(name)).GetProperty("status").GetString());
        Assert.DoesNotContain(name, Names(await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")));
        Assert.Contains(name, Names(await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=STOPPING")));
        await Eventually.GetAsync(() => user.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "the cluster to stop");
        Assert.DoesNotContain(name, Names(await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")));
    }

    private static List<string> Names(JsonElement listing) => [.. listing.EnumerateObject().Select(p => p.Name)];
}
