using Platform.Webhooks.Model;

namespace Platform.Webhooks.Tests.Model;

public sealed class ClusterSnapshotTests
{
    [Fact]
    public void A_change_replaces_the_fields_it_carries_and_keeps_the_others()
    {
        var created = ClusterSnapshot.New(new ClusterChange("c1", "alice", null)).Apply(new ClusterChange("c1", "alice", "PENDING", 0, """{"worker_cores":2}"""));
        var running = created.Apply(new ClusterChange("c1", "alice", "RUNNING", DashboardAddress: "http://127.0.0.1:8787"));
        var scaled = running.Apply(new ClusterChange("c1", "alice", null, Workers: 3));

        Assert.Equal(new ClusterSnapshot("c1", "alice", "PENDING", 0, """{"worker_cores":2}""", null, null), created);
        Assert.Equal(new ClusterSnapshot("c1", "alice", "RUNNING", 3, """{"worker_cores":2}""", "http://127.0.0.1:8787", null), scaled);
    }

    [Fact]
    public void A_cluster_first_heard_of_is_pending_with_no_workers_and_no_options()
    {
        var first = ClusterSnapshot.New(new ClusterChange("c2", "bob", null, Workers: 4)).Apply(new ClusterChange("c2", "bob", null, Workers: 4));

        Assert.Equal(new ClusterSnapshot("c2", "bob", "PENDING", 4, "{}", null, null), first);
    }
}
