using System.Runtime.InteropServices;

namespace Platform.Hosting.Infrastructure;

/// <summary>Sends POSIX signals to one process by PID; .NET itself only offers SIGKILL (Process.Kill).</summary>
public static partial class UnixSignal
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;

    /// <summary>Returns false when the process no longer exists.</summary>
    public static bool Send(int processId, int signal)
    {
        if (processId <= 1)
            throw new ArgumentOutOfRangeException(nameof(processId), processId, "Refusing to signal PID <= 1.");
        return NativeMethods.kill(processId, signal) == 0;
    }

    /// <summary>Signals every process of a group at once, as a terminal's Ctrl+C does; false when the group is gone.</summary>
    public static bool SendToGroup(int processGroupId, int signal)
    {
        if (processGroupId <= 1)
            throw new ArgumentOutOfRangeException(nameof(processGroupId), processGroupId, "Refusing to signal group <= 1.");
        return NativeMethods.kill(-processGroupId, signal) == 0;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks; this signature is blittable, so DllImport costs nothing.
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
    }
}
