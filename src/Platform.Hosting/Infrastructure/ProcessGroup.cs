namespace Platform.Hosting.Infrastructure;

/// <summary>The process group a <see cref="ChildProcess"/> leads (it was started in its own session).</summary>
public static class ProcessGroup
{
    /// <summary>
    /// SIGKILLs the leader and every live member of its group, synchronously: for exit paths that cannot wait
    /// for a graceful shutdown (the host process is going away).
    /// </summary>
    public static void Kill(int leader)
    {
        if (leader <= 1)
            return;
        UnixSignal.Send(leader, UnixSignal.Kill);
        foreach (var member in ProcessTable.ProcessGroupMembers(leader))
            UnixSignal.Send(member, UnixSignal.Kill);
    }
}
