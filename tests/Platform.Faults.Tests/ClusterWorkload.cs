using System.Collections.Concurrent;

namespace Platform.Faults.Tests;

/// <summary>What the workload last asked of a cluster; the end state the system must converge to.</summary>
public enum Wanted
{
    /// <summary>RUNNING with one worker.</summary>
    Running,

    Stopped,

    /// <summary>Failed while a fault hit its start; the user gave up on it and created another (it must stay FAILED, with no process).</summary>
    Abandoned,
}

/// <summary>
/// 100 cluster operations from two users, a few clusters at a time: each cluster is
/// created, scaled to 1, scaled to 0, then stopped or scaled to 1 again. A cluster that a fault made FAIL while it
/// started is replaced by a new one, as a user would (the create counts as one of the operations).
/// Operation <c>n</c> starts only once <see cref="AllowedThrough"/> allows it, so faults land during the workload.
/// </summary>
public sealed class ClusterWorkload(IReadOnlyList<GatewayUser> users, int concurrency)
{
    private readonly ConcurrentDictionary<string, (GatewayUser User, Wanted Wanted)> clusters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim slots = new(concurrency);
    private int started;
    private int replaced;
    private volatile int allowedThrough = int.MaxValue;

    /// <summary>Operations started so far (100, plus two for each cluster replaced).</summary>
    public int Started => Volatile.Read(ref started);

    /// <summary>Clusters that failed because a fault hit their start, replaced by the user.</summary>
    public int Replaced => replaced;

    public IReadOnlyDictionary<string, (GatewayUser User, Wanted Wanted)> Clusters => clusters;

    /// <summary>The highest operation number that may start now (a fault scheduler lowers and raises it).</summary>
    public int AllowedThrough
    {
        get => allowedThrough;
        set => allowedThrough = value;
    }

    public async Task RunAsync()
    {
        // 4 operations per cluster: 13 stopped and 12 kept running give 100.
        var plans = new List<(GatewayUser User, bool Stop)>();
        var stops = 13;
        var keeps = 12;
        for (var i = 0; stops + keeps > 0; i++)
        {
            var stop = i % 2 == 0 ? stops > 0 : keeps == 0;
            plans.Add((users[i % users.Count], stop));
            if (stop)
            {
                stops--;
            }
            else
            {
                keeps--;
            }
        }

        await Task.WhenAll(plans.Select(p => RunOneAsync(p.User, p.Stop)));
    }

    private async Task RunOneAsync(GatewayUser user, bool stop)
    {
        await slots.WaitAsync();
        try
        {
            while (true)
            {
                await NextOperationAsync();
                var name = await user.CreateClusterAsync();
                clusters[name] = (user, Wanted.Running);
                await NextOperationAsync();
                if (!await user.ScaleAsync(name, 1))
                {
                    // The create was the user's operation; a replacement create is another one, taken from this plan's budget.
                    clusters[name] = (user, Wanted.Abandoned);
                    Interlocked.Increment(ref replaced);
                    continue;
                }

                await NextOperationAsync();
                await user.ScaleAsync(name, 0);
                await NextOperationAsync();
                if (stop)
                {
                    await user.StopClusterAsync(name);
                    clusters[name] = (user, Wanted.Stopped);
                }
                else
                {
                    await user.ScaleAsync(name, 1);
                }

                return;
            }
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task NextOperationAsync()
    {
        var number = Interlocked.Increment(ref started);
        while (number > allowedThrough)
        {
            await Task.Delay(100);
        }
    }
}
