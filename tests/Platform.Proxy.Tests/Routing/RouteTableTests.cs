using Platform.Proxy.Routing;

namespace Platform.Proxy.Tests.Routing;

public class RouteTableTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ClusterRoute Route(string name, int port = 8786) =>
        ClusterRoute.TryCreate(name, "alice", $"tls://127.0.0.1:{port}", "http://127.0.0.1:8787")!;

    [Fact]
    public void Addresses_from_cluster_events_become_a_route()
    {
        var route = ClusterRoute.TryCreate("c1", "alice", "tls://127.0.0.1:40001", "http://127.0.0.1:40002");

        Assert.NotNull(route);
        Assert.Equal(("127.0.0.1", 40001), (route.SchedulerHost, route.SchedulerPort));
        Assert.Equal(new Uri("http://127.0.0.1:40002"), route.Dashboard);
        Assert.Null(ClusterRoute.TryCreate("c1", "alice", "not an address", null));
        Assert.Null(ClusterRoute.TryCreate("c1", "alice", "tls://127.0.0.1:40001", "")!.Dashboard);
    }

    [Theory]
    [InlineData("daskgateway-abc", "abc")]
    [InlineData("DaskGateway-abc", "abc")]
    [InlineData("daskgateway-", null)]
    [InlineData("example.com", null)]
    [InlineData(null, null)]
    public void Only_daskgateway_server_names_name_a_cluster(string? sni, string? cluster) =>
        Assert.Equal(cluster, ClusterRoute.ClusterNameFromSni(sni));

    [Fact]
    public void Adding_twice_and_removing_twice_is_harmless()
    {
        var table = new RouteTable(TimeProvider.System);

        Assert.True(table.Add(Route("c1"), Start));
        Assert.True(table.Add(Route("c1"), Start));
        Assert.Equal(1, table.Count);
        Assert.True(table.Remove("c1", Start.AddMinutes(1)));
        Assert.False(table.Remove("c1", Start.AddMinutes(1)));
        Assert.False(table.TryGet("c1", out _));
    }

    [Fact]
    public void A_late_running_event_does_not_resurrect_a_stopped_cluster()
    {
        var table = new RouteTable(TimeProvider.System);
        table.Remove("c1", DateTimeOffset.UtcNow);

        Assert.False(table.Add(Route("c1"), DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.False(table.TryGet("c1", out _));
    }

    [Fact]
    public void A_rebuild_replaces_routes_that_clusters_no_longer_reports()
    {
        var table = new RouteTable(TimeProvider.System);
        table.Add(Route("old"), Start);
        var takenAt = DateTimeOffset.UtcNow;

        table.Replace([Route("c1"), Route("c2")], takenAt);

        Assert.Equal(["c1", "c2"], table.Snapshot().Select(r => r.Name));
    }

    [Fact]
    public void Events_newer_than_a_snapshot_win_over_it()
    {
        var table = new RouteTable(TimeProvider.System);
        var takenAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        table.Add(Route("started-meanwhile"), DateTimeOffset.UtcNow);
        table.Add(Route("stopped-meanwhile"), Start);
        table.Remove("stopped-meanwhile", DateTimeOffset.UtcNow);

        table.Replace([Route("stopped-meanwhile")], takenAt);

        Assert.True(table.TryGet("started-meanwhile", out _));
        Assert.False(table.TryGet("stopped-meanwhile", out _));
    }

    [Fact]
    public void Lookups_ignore_case_like_host_names()
    {
        var table = new RouteTable(TimeProvider.System);
        table.Add(Route("Abc"), Start);

        Assert.True(table.TryGet("abc", out var route));
        Assert.Equal("Abc", route.Name);
    }
}
