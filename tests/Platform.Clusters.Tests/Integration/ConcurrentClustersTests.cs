using Platform.Clusters.Tests.Support;

namespace Platform.Clusters.Tests.Integration;

[Collection(ClustersServiceCollection.Name)]
public sealed class ConcurrentClustersTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task Five_users_creating_twenty_clusters_at_once_all_reach_RUNNING()
    {
        var users = Enumerable.Range(1, 5).Select(i => service.As($"crowd-{i}")).ToList();

        var created = await Task.WhenAll(users.SelectMany(user => Enumerable.Range(0, 4).Select(async _ => (User: user, Name: await user.CreateAsync()))));
        Assert.Equal(20, created.Select(c => c.Name).Distinct().Count());

        var running = await Task.WhenAll(created.Select(c => c.User.WaitForStatusAsync(c.Name, "RUNNING", TimeSpan.FromMinutes(3))));
        Assert.All(running, r => Assert.Equal("RUNNING", r.GetProperty("status").GetString()));
        Assert.Equal(20, running.Select(r => r.GetProperty("tls_cert").GetString()).Distinct().Count());
        foreach (var user in users)
        {
            Assert.Equal(4, (await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=RUNNING")).EnumerateObject().Count());
        }

        await Task.WhenAll(created.Select(c => c.User.StopAsync(c.Name)));
        await Task.WhenAll(created.Select(c => Eventually.GetAsync(() => c.User.GetAsync(c.Name), r => r.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromMinutes(1), "STOPPED")));
    }
}
