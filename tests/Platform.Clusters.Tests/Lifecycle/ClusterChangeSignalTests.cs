using Platform.Clusters.Lifecycle;

namespace Platform.Clusters.Tests.Lifecycle;

public sealed class ClusterChangeSignalTests
{
    [Fact]
    public async Task A_watch_completes_at_the_next_change_and_the_name_is_forgotten()
    {
        var signal = new ClusterChangeSignal();
        using var watch = signal.Watch("a");
        Assert.Equal(1, signal.WatchedNames);

        signal.Notify("a");

        await watch.Changed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, signal.WatchedNames);
    }

    [Fact]
    public void The_name_is_forgotten_when_the_last_watcher_leaves_without_a_change()
    {
        var signal = new ClusterChangeSignal();
        var first = signal.Watch("a");
        var second = signal.Watch("a");

        first.Dispose();
        Assert.Equal(1, signal.WatchedNames);
        first.Dispose();
        Assert.Equal(1, signal.WatchedNames);
        second.Dispose();

        Assert.Equal(0, signal.WatchedNames);
        Assert.False(second.Changed.IsCompleted);
    }

    [Fact]
    public async Task A_watcher_of_an_older_change_leaving_does_not_drop_newer_watchers()
    {
        var signal = new ClusterChangeSignal();
        var old = signal.Watch("a");
        signal.Notify("a");
        using var current = signal.Watch("a");

        old.Dispose();
        Assert.Equal(1, signal.WatchedNames);
        signal.Notify("a");

        await current.Changed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Notifying_or_watching_many_names_leaves_nothing_behind()
    {
        var signal = new ClusterChangeSignal();
        Parallel.For(0, 20_000, i =>
        {
            var name = Convert.ToHexString(BitConverter.GetBytes(i % 500));
            using var watch = signal.Watch(name);
            if (i % 3 == 0)
            {
                signal.Notify(name);
            }
        });

        Assert.Equal(0, signal.WatchedNames);
    }
}
