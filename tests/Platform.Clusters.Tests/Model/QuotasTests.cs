using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Model;

public sealed class QuotasTests
{
    private static readonly WorkerResources TwoCoresOneGiB = new() { Cores = 2, MemoryBytes = 1L << 30 };

    [Fact]
    public void A_new_cluster_within_every_quota_is_accepted() =>
        Assert.Null(Quotas.RefuseNewCluster([new QuotaCheck("user alice", new Quota { MaxClusters = 2 }, new ResourceUsage(1, 0, 0, 0))]));

    [Fact]
    public void A_new_cluster_over_the_users_cluster_quota_is_refused_naming_the_user_and_the_limit()
    {
        var refusal = Quotas.RefuseNewCluster([new QuotaCheck("user alice", new Quota { MaxClusters = 2 }, new ResourceUsage(2, 0, 0, 0))]);
        Assert.Equal("Quota exceeded: user alice may have at most 2 active clusters (2 active)", refusal);
    }

    [Fact]
    public void A_group_quota_refuses_even_when_the_user_quota_allows()
    {
        var refusal = Quotas.RefuseNewCluster(
        [
            new QuotaCheck("user alice", new Quota { MaxClusters = 10 }, new ResourceUsage(0, 0, 0, 0)),
            new QuotaCheck("group physics", new Quota { MaxClusters = 1 }, new ResourceUsage(1, 0, 0, 0)),
        ]);
        Assert.StartsWith("Quota exceeded: group physics may have at most 1 active cluster ", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Workers_within_every_quota_are_granted_in_full()
    {
        var (allowed, limit) = Quotas.AllowedWorkers(3, TwoCoresOneGiB, [new QuotaCheck("user alice", new Quota { MaxWorkers = 10, MaxCores = 100, MaxMemoryGiB = 100 }, ResourceUsage.None)]);
        Assert.Equal((3, null), (allowed, limit));
    }

    [Fact]
    public void The_worker_quota_counts_what_other_clusters_already_hold()
    {
        var (allowed, limit) = Quotas.AllowedWorkers(5, TwoCoresOneGiB, [new QuotaCheck("user alice", new Quota { MaxWorkers = 6 }, new ResourceUsage(1, 4, 8, 4))]);
        Assert.Equal(2, allowed);
        Assert.Equal("user alice's quota of 6 workers (4 in use by other clusters)", limit);
    }

    [Fact]
    public void Core_and_memory_quotas_limit_workers_by_their_size()
    {
        var (byCores, coreLimit) = Quotas.AllowedWorkers(5, TwoCoresOneGiB, [new QuotaCheck("group physics", new Quota { MaxCores = 7 }, new ResourceUsage(1, 1, 2, 1))]);
        Assert.Equal(2, byCores);
        Assert.Contains("group physics's quota of 7 cores", coreLimit, StringComparison.Ordinal);

        var (byMemory, memoryLimit) = Quotas.AllowedWorkers(5, TwoCoresOneGiB, [new QuotaCheck("user bob", new Quota { MaxMemoryGiB = 3.5 }, ResourceUsage.None)]);
        Assert.Equal(3, byMemory);
        Assert.Contains("3.5 GiB of memory", memoryLimit, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tightest_of_several_quotas_wins_and_is_named()
    {
        var (allowed, limit) = Quotas.AllowedWorkers(
            10,
            TwoCoresOneGiB,
            [
                new QuotaCheck("user alice", new Quota { MaxWorkers = 8 }, ResourceUsage.None),
                new QuotaCheck("group physics", new Quota { MaxWorkers = 3 }, new ResourceUsage(2, 2, 4, 2)),
            ]);
        Assert.Equal(1, allowed);
        Assert.StartsWith("group physics", limit, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quota_already_used_up_allows_zero_not_a_negative_count() =>
        Assert.Equal(0, Quotas.AllowedWorkers(2, TwoCoresOneGiB, [new QuotaCheck("user alice", new Quota { MaxWorkers = 1 }, new ResourceUsage(3, 3, 6, 3))]).Allowed);

    [Fact]
    public void A_user_has_their_own_quota_else_the_default_and_every_configured_group()
    {
        var settings = new QuotaSettings
        {
            User = new Quota { MaxClusters = 5 },
            Users = { ["frugal"] = new Quota { MaxClusters = 1 } },
            Groups = { ["physics"] = new Quota { MaxWorkers = 4 } },
        };
        Assert.Equal(1, settings.ScopesFor("frugal", [])[0].Quota.MaxClusters);
        var scopes = settings.ScopesFor("alice", ["physics", "chemistry"]);
        Assert.Equal(["user alice", "group physics"], scopes.Select(s => s.Scope));
        Assert.Equal(5, scopes[0].Quota.MaxClusters);
    }
}
