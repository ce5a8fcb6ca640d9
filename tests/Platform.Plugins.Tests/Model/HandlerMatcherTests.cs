using Platform.Plugins.Handlers;
using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Handlers;

namespace Platform.Plugins.Tests.Model;

public sealed class HandlerMatcherTests
{
    private static readonly ClusterHandler Nothing = (context, token) => Task.CompletedTask;

    private static HandlerRegistration OnEvents(ClusterEvents events, ClusterFilter? filter = null) =>
        new("h", events, null, null, null, filter ?? ClusterFilter.Any, Nothing, HandlerOptions.Default);

    private static HandlerRegistration OnTransition(ClusterPhase? from, ClusterPhase to) =>
        new("t", ClusterEvents.None, from, to, null, ClusterFilter.Any, Nothing, HandlerOptions.Default);

    private static ClusterEventFacts Facts(ClusterEvents clusterEvent, string owner = "alice", params (string Key, string Value)[] labels) =>
        new("c1", owner, labels.ToDictionary(l => l.Key, l => l.Value), clusterEvent, HandlerMatcher.PhaseAfter(clusterEvent), new Dictionary<string, string>());

    [Fact]
    public void A_handler_runs_only_for_the_events_it_follows()
    {
        var handler = OnEvents(ClusterEvents.Running | ClusterEvents.Stopped);

        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Running), ClusterPhase.Pending));
        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Stopped), ClusterPhase.Stopping));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Created), null));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Scaled), ClusterPhase.Running));
    }

    [Fact]
    public void A_label_filter_requires_equal_values_present_keys_and_absent_keys()
    {
        var filter = ClusterFilter.Any.WithLabel("team", "physics").WithLabelPresent("gpu").WithLabelAbsent("experimental");
        var handler = OnEvents(ClusterEvents.Running, filter);

        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Running, "alice", ("team", "physics"), ("gpu", "")), null));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Running, "alice", ("team", "chemistry"), ("gpu", "")), null));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Running, "alice", ("team", "physics")), null));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Running, "alice", ("team", "physics"), ("gpu", "1"), ("experimental", "yes")), null));
    }

    [Fact]
    public void An_owner_filter_admits_only_that_owners_clusters()
    {
        var handler = OnEvents(ClusterEvents.All, ClusterFilter.Any.WithOwner("bob"));

        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Created, "bob"), null));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Created, "alice"), null));
    }

    [Fact]
    public void A_transition_handler_runs_when_the_phase_changes_from_its_source_to_its_target()
    {
        var handler = OnTransition(ClusterPhase.Running, ClusterPhase.Stopping);

        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Stopping), ClusterPhase.Running));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Stopping), ClusterPhase.Pending));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Stopping), ClusterPhase.Stopping));
        Assert.False(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Scaled), ClusterPhase.Running));
    }

    [Fact]
    public void A_transition_from_any_phase_also_runs_for_a_cluster_first_seen_in_the_target_phase()
    {
        var handler = OnTransition(null, ClusterPhase.Failed);

        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Failed), null));
        Assert.True(HandlerMatcher.Matches(handler, Facts(ClusterEvents.Failed), ClusterPhase.Pending));
    }

    [Fact]
    public void Backoff_doubles_from_the_base_up_to_its_ceiling()
    {
        var options = new HandlerOptions { Backoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(5) };

        Assert.Equal(TimeSpan.FromSeconds(1), options.DelayAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(2), options.DelayAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(4), options.DelayAfter(3));
        Assert.Equal(TimeSpan.FromSeconds(5), options.DelayAfter(4));
    }
}
