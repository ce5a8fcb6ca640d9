using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Platform.Clusters.Lifecycle;
using Platform.Clusters.Tests.Support;

namespace Platform.Clusters.Tests.Integration;

/// <summary>Asking about names that do not exist must not grow the service (issue 13: 453 → 912 MB over 34,000 requests).</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ClusterChangeSignalSoakTests(ClustersServiceFixture service)
{
    private const int Requests = 4_000;

    [Fact]
    public async Task Thousands_of_requests_for_random_long_names_leave_no_entry_and_no_managed_memory_behind()
    {
        var user = service.As("soak-user");
        var signal = service.Host.Services.GetRequiredService<ClusterChangeSignal>();
        await SendAsync(user, 200);
        var before = ManagedMemory();

        var started = DateTimeOffset.UtcNow;
        await SendAsync(user, Requests);

        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(60), "the requests took longer than a minute");
        Assert.Equal(0, signal.WatchedNames);
        // Each name is 14 KB of UTF-16: a leak of one entry per request would be about 56 MB here.
        var growth = ManagedMemory() - before;
        Assert.True(growth < 16 * 1024 * 1024, $"managed memory grew by {growth / 1024 / 1024} MB over {Requests} requests");
    }

    private static async Task SendAsync(ClustersClient user, int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var name = RandomNumberGenerator.GetHexString(7_000, lowercase: true);
                var wait = next % 2 == 0 ? "?wait" : "";
                using var response = await user.SendAsync(HttpMethod.Get, $"/api/v1/clusters/{name}{wait}");
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }));
    }

    private static long ManagedMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
