using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Model;

public sealed class ClusterLimitsTests
{
    [Fact]
    public void The_cluster_maximum_is_the_tightest_of_workers_cores_and_memory()
    {
        var limits = new ClusterLimits { MaxWorkers = 10, MaxCores = 8, MaxMemoryGiB = 3 };
        Assert.Equal(4, limits.MaxWorkersFor(new WorkerResources { Cores = 2, MemoryBytes = 512L << 20 }));
        Assert.Equal(3, limits.MaxWorkersFor(new WorkerResources { Cores = 1, MemoryBytes = 1L << 30 }));
        Assert.Equal(10, limits.MaxWorkersFor(new WorkerResources { Cores = 0.5, MemoryBytes = 256L << 20 }));
    }

    [Fact]
    public void Without_limits_a_cluster_is_unbounded() => Assert.Equal(int.MaxValue, new ClusterLimits().MaxWorkersFor(new WorkerResources()));

    [Fact]
    public void A_clusters_idle_timeout_option_can_only_shorten_the_platform_limit()
    {
        var limits = new ClusterLimits { IdleTimeout = TimeSpan.FromMinutes(10) };
        Assert.Equal(TimeSpan.FromMinutes(10), limits.IdleTimeoutFor(new WorkerResources()));
        Assert.Equal(TimeSpan.FromSeconds(30), limits.IdleTimeoutFor(new WorkerResources { IdleTimeoutSeconds = 30 }));
        Assert.Equal(TimeSpan.FromMinutes(10), limits.IdleTimeoutFor(new WorkerResources { IdleTimeoutSeconds = 3600 }));
        Assert.Null(new ClusterLimits().IdleTimeoutFor(new WorkerResources { IdleTimeoutSeconds = 0 }));
    }
}
