using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Model;

public sealed class ClusterStateMachineTests
{
    [Theory]
    [InlineData(ClusterState.Pending, ClusterState.Running)]
    [InlineData(ClusterState.Pending, ClusterState.Stopping)]
    [InlineData(ClusterState.Pending, ClusterState.Failed)]
    [InlineData(ClusterState.Running, ClusterState.Stopping)]
    [InlineData(ClusterState.Running, ClusterState.Failed)]
    [InlineData(ClusterState.Stopping, ClusterState.Stopped)]
    [InlineData(ClusterState.Stopping, ClusterState.Failed)]
    public void Lifecycle_transitions_are_allowed(ClusterState from, ClusterState to) =>
        Assert.True(ClusterStateMachine.CanTransition(from, to));

    [Theory]
    [InlineData(ClusterState.Running, ClusterState.Pending)]
    [InlineData(ClusterState.Pending, ClusterState.Stopped)]
    [InlineData(ClusterState.Running, ClusterState.Stopped)]
    [InlineData(ClusterState.Stopping, ClusterState.Running)]
    [InlineData(ClusterState.Stopped, ClusterState.Running)]
    [InlineData(ClusterState.Stopped, ClusterState.Failed)]
    [InlineData(ClusterState.Failed, ClusterState.Running)]
    [InlineData(ClusterState.Failed, ClusterState.Stopping)]
    [InlineData(ClusterState.Running, ClusterState.Running)]
    public void Going_backwards_or_leaving_a_final_state_is_refused(ClusterState from, ClusterState to)
    {
        Assert.False(ClusterStateMachine.CanTransition(from, to));
        var refused = Assert.Throws<InvalidClusterTransitionException>(() => ClusterStateMachine.EnsureCanTransition(from, to));
        Assert.Contains(from.ToWireName(), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stopped_and_failed_are_the_only_final_states()
    {
        var final = Enum.GetValues<ClusterState>().Where(ClusterStateMachine.IsFinal).ToList();
        Assert.Equal([ClusterState.Stopped, ClusterState.Failed], final);
    }

    [Fact]
    public void A_cluster_can_fail_from_every_state_that_holds_processes() =>
        Assert.Equal([ClusterState.Pending, ClusterState.Running, ClusterState.Stopping], ClusterStateMachine.SourcesOf(ClusterState.Failed));

    [Theory]
    [InlineData("running", ClusterState.Running)]
    [InlineData("PENDING", ClusterState.Pending)]
    [InlineData(" Stopped ", ClusterState.Stopped)]
    public void Status_names_parse_like_dask_gateways(string name, ClusterState expected) => Assert.Equal(expected, ClusterStateNames.Parse(name));

    [Fact]
    public void An_unknown_status_name_is_refused_with_its_name() =>
        Assert.Equal("'BOGUS' is not a valid ClusterStatus", Assert.Throws<FormatException>(() => ClusterStateNames.Parse("BOGUS")).Message);
}
