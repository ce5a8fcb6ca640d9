using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Platform.Clusters.Backends;

/// <summary>
/// Who a process is, durably: a PID alone can be reused, so the kernel's start time and boot id come with it.
/// This is what the local backend records so a restarted service can tell "still our scheduler" from "a stranger".
/// </summary>
public sealed record ProcessIdentity(int ProcessId, long StartTicks, string BootId);

/// <summary>
/// A scheduler or worker process of a cluster. Started through <c>setsid</c> (which execs in place, so the PID is the
/// Dask process itself) in its own process group, with output appended to a log file and a scrubbed environment;
/// stopped by signalling that group, never by name.
/// </summary>
public sealed class ClusterProcess
{
    private const int SignalTerminate = 15;
    private const int SignalKill = 9;
    private static readonly Lazy<string> CurrentBootId = new(() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());

    private readonly Process? child;

    private ClusterProcess(ProcessIdentity identity, Process? child)
    {
        Identity = identity;
        this.child = child;
    }

    public ProcessIdentity Identity { get; }

    public int ProcessId => Identity.ProcessId;

    public static ClusterProcess Spawn(string executable, IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo("/usr/bin/setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        // The shell only redirects and then execs the Dask process: the log survives a service restart, which pipes would not.
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$PLATFORM_CLUSTER_LOG_FILE\" 2>&1");
        start.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // User code runs in these processes: they must not inherit the service's secrets (connection strings, keys).
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = workingDirectory;
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["PLATFORM_CLUSTER_LOG_FILE"] = logFile;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var identity = ReadIdentity(process.Id) ?? new ProcessIdentity(process.Id, 0, CurrentBootId.Value);
        return new ClusterProcess(identity, process);
    }

    /// <summary>The process recorded as <paramref name="identity"/>, if that very process is still running.</summary>
    public static ClusterProcess? Adopt(ProcessIdentity identity) =>
        IsSameLiveProcess(identity) ? new ClusterProcess(identity, null) : null;

    public bool HasExited => child is not null ? child.HasExited : !IsSameLiveProcess(Identity);

    /// <summary>The exit code, when this service started the process and it has exited.</summary>
    public int? ExitCode => child is { HasExited: true } ? child.ExitCode : null;

    /// <summary>SIGTERM to the process group, SIGKILL after <paramref name="grace"/>; returns once the process is gone.</summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        SignalGroup(SignalTerminate);
        var deadline = DateTimeOffset.UtcNow + grace;
        while (!HasExited && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        // Also after the leader exited: anything it spawned may still be in its group.
        SignalGroup(SignalKill);
        var killDeadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        while (!HasExited && DateTimeOffset.UtcNow < killDeadline)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private void SignalGroup(int signal)
    {
        // A process we did not start is signalled only while it is provably the recorded one.
        if (child is null && !IsSameLiveProcess(Identity))
        {
            return;
        }

        if (Identity.ProcessId > 1)
        {
            _ = NativeMethods.kill(-Identity.ProcessId, signal);
        }
    }

    private static bool IsSameLiveProcess(ProcessIdentity identity) =>
        ReadIdentity(identity.ProcessId) is { } current && current == identity;

    /// <summary>PID, start time and boot id of a live (non-zombie) process, from /proc.</summary>
    public static ProcessIdentity? ReadIdentity(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name is in parentheses and may contain spaces, so fields are counted after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields[0] is "Z" or "X")
        {
            return null;
        }

        return new ProcessIdentity(processId, long.Parse(fields[19], CultureInfo.InvariantCulture), CurrentBootId.Value);
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks; kill(2) is blittable, so DllImport costs nothing.
        [DllImport("libc", SetLastError = true)]
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
    }
}
