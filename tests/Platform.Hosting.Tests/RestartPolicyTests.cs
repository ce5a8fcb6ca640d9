using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Tests;

public sealed class RestartPolicyTests
{
    private static readonly double[] DoublingSeconds = [1, 2, 4, 8, 16, 30, 30];

    [Fact]
    public void A_process_that_finishes_while_running_crashed()
    {
        Assert.True(RestartPolicy.IsCrash(KnownResourceStates.Running, "Finished"));
        Assert.True(RestartPolicy.IsCrash(KnownResourceStates.Running, KnownResourceStates.Exited));
    }

    [Fact]
    public void A_restart_after_a_crash_that_exits_before_it_runs_crashed_again()
    {
        Assert.True(RestartPolicy.IsCrash(KnownResourceStates.Starting, KnownResourceStates.Exited, restarting: true));
        Assert.True(RestartPolicy.IsCrash(KnownResourceStates.Starting, "Finished", restarting: true));
        Assert.True(RestartPolicy.IsCrash(KnownResourceStates.Starting, KnownResourceStates.FailedToStart, restarting: true));
        Assert.False(RestartPolicy.IsCrash(KnownResourceStates.Stopping, KnownResourceStates.Exited, restarting: true));
    }

    [Fact]
    public void A_process_stopped_through_DCP_or_never_running_did_not_crash()
    {
        Assert.False(RestartPolicy.IsCrash(KnownResourceStates.Stopping, "Finished"));
        Assert.False(RestartPolicy.IsCrash(KnownResourceStates.Running, "Terminated"));
        Assert.False(RestartPolicy.IsCrash(KnownResourceStates.Starting, KnownResourceStates.FailedToStart));
        Assert.False(RestartPolicy.IsCrash(null, "Finished"));
        Assert.False(RestartPolicy.IsCrash("Finished", "Finished"));
    }

    [Fact]
    public void Backoff_doubles_from_one_second_up_to_thirty()
    {
        Assert.Equal(DoublingSeconds, Enumerable.Range(1, 7).Select(n => RestartPolicy.Backoff(n).TotalSeconds));
        Assert.Equal(30, RestartPolicy.Backoff(1000).TotalSeconds);
    }
}
