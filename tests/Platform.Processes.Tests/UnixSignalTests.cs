using System.Diagnostics;
using Platform.Testing;

namespace Platform.Processes.Tests;

/// <summary>Each test starts its own short-lived sleep processes and stops them by PID (about 1 s in all).</summary>
public sealed class UnixSignalTests
{
    [Fact]
    public async Task Terminate_stops_a_child_and_it_then_reads_as_not_running()
    {
        using var sleep = Process.Start("/bin/sleep", "30");
        Assert.True(ProcessTable.IsRunning(sleep.Id));

        Assert.True(UnixSignal.Send(sleep.Id, UnixSignal.Terminate));
        await sleep.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(ProcessTable.IsRunning(sleep.Id));
        Assert.False(UnixSignal.Send(sleep.Id, UnixSignal.Terminate));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-5)]
    public void Signalling_init_or_every_process_is_refused(int processId)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixSignal.Send(processId, UnixSignal.Kill));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixSignal.SendToGroup(processId, UnixSignal.Kill));
    }

    [Fact]
    public async Task Killing_a_group_reaches_what_its_leader_spawned()
    {
        // setsid execs sh in place, so the PID is the group leader; sh leaves a grandchild sleep in the group.
        using var leader = Process.Start(new ProcessStartInfo("/usr/bin/setsid", ["/bin/sh", "-c", "/bin/sleep 30 & exec /bin/sleep 30"]))!;
        var descendants = await Eventually.GetAsync(
            () => Task.FromResult(ProcessTable.Descendants(leader.Id)), d => d.Count > 0, TimeSpan.FromSeconds(10), "the leader's child");
        var grandchild = descendants[0];
        Assert.Equal(leader.Id, ProcessStat.Read(grandchild)!.Value.ProcessGroup);
        Assert.Contains(grandchild, ProcessTable.ProcessGroupMembers(leader.Id));

        UnixSignal.KillGroup(leader.Id);
        await leader.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // The orphaned grandchild is reaped by init once killed; until then it may be a zombie, which is not running.
        await Eventually.TrueAsync(() => !ProcessTable.IsRunning(grandchild), TimeSpan.FromSeconds(10), "the grandchild killed");
        Assert.Empty(ProcessTable.ProcessGroupMembers(leader.Id));
    }

    [Fact]
    public void The_command_line_of_a_live_process_is_its_argv_and_of_a_gone_one_empty()
    {
        using var sleep = Process.Start("/bin/sleep", "30");
        try
        {
            Assert.Equal(["/bin/sleep", "30"], ProcessTable.CommandLine(sleep.Id));
        }
        finally
        {
            sleep.Kill();
            sleep.WaitForExit();
        }

        Assert.Empty(ProcessTable.CommandLine(sleep.Id));
    }
}
