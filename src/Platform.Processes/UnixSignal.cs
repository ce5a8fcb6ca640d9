using System.Runtime.InteropServices;

namespace Platform.Processes;

/// <summary>Sends POSIX signals by PID or process group; .NET itself only offers SIGKILL (Process.Kill).</summary>
public static class UnixSignal
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;

    /// <summary>Returns false when the process no longer exists.</summary>
    public static bool Send(int processId, int signal)
    {
        if (processId <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(processId), processId, "Refusing to signal PID <= 1.");
        }

        return NativeMethods.kill(processId, signal) == 0;
    }

    /// <summary>Signals every process of a group at once, as a terminal's Ctrl+C does; false when the group is gone.</summary>
    public static bool SendToGroup(int processGroupId, int signal)
    {
        if (processGroupId <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(processGroupId), processGroupId, "Refusing to signal group <= 1.");
        }

        return NativeMethods.kill(-processGroupId, signal) == 0;
    }

    /// <summary>
    /// SIGKILLs the leader and every live member of its group, synchronously: for exit paths that cannot wait for a
    /// graceful shutdown (the host process is going away).
    /// </summary>
    public static void KillGroup(int leader)
    {
        if (leader <= 1)
        {
            return;
        }

        Send(leader, Kill);
        foreach (var member in ProcessTable.ProcessGroupMembers(leader))
        {
            Send(member, Kill);
        }
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks; kill(2) is blittable, so DllImport costs nothing.
        [DllImport("libc", SetLastError = true)]
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
    }
}
