using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Platform.Processes;

namespace Platform.Clusters.Backends;

/// <summary>
/// Who a process is, durably: a PID alone can be reused, so the kernel's start time and boot id come with it.
/// This is what the local backend records so a restarted service can tell "still our scheduler" from "a stranger".
/// </summary>
public sealed record ProcessIdentity(int ProcessId, long StartTicks, string BootId);

/// <summary>
/// How to start one scheduler or worker. The launcher (as the service's user) opens the log, and the ready file as
/// descriptor 3, before it drops to <see cref="Account"/>: the Dask process writes to both but cannot open, replace or
/// redirect them, and the service never follows a path the account controls.
/// </summary>
public sealed record ProcessLaunch(
    string Executable,
    IReadOnlyList<string> Arguments,
    string LogFile,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Opened (truncated) for writing as descriptor 3 of the process; null for none.</summary>
    public string? ReadyFile { get; init; }

    /// <summary>The account to run as; null runs as the service's own account (the unsafe backend).</summary>
    public ClusterAccount? Account { get; init; }

    /// <summary>
    /// A folder mounted over /tmp and /var/tmp in a mount namespace of the process's own, and the working directory
    /// there; null for none. Paths under the real /tmp are hidden then, so the process names its files relatively.
    /// </summary>
    public string? PrivateTmp { get; init; }
}

/// <summary>
/// A scheduler or worker process of a cluster. Started through <c>setsid</c> (which execs in place, as do unshare,
/// sh, setpriv and env after it, so the PID is the Dask process itself) in its own session and process group, with
/// output appended to a log file; stopped by signalling that group, never by name.
/// </summary>
public sealed class ClusterProcess
{
    // The log and ready file are opened first: the bind mounts may hide their paths (a data folder under /tmp).
    private const string Launcher = """
        log=$1; ready=$2; tmp=$3; shift 4
        exec </dev/null >>"$log" 2>&1 || exit 111
        if [ -n "$ready" ]; then exec 3>"$ready" || exit 111; fi
        if [ -n "$tmp" ]; then
            { /usr/bin/mount --bind "$tmp" /var/tmp \
              && /usr/bin/mount -t tmpfs -o nosuid,nodev,noexec,size=64m,mode=1777 tmpfs /dev/shm \
              && { [ ! -d /run/lock ] || /usr/bin/mount -t tmpfs -o nosuid,nodev,noexec,size=1m,mode=1777 tmpfs /run/lock; } \
              && /usr/bin/mount --bind "$tmp" /tmp && cd /tmp; } \
              || { echo "platform: could not give the process a private /tmp"; exit 111; }
        fi
        exec "$@"
        """;

    private static readonly Lazy<string> CurrentBootId = new(() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());

    private readonly Process? child;

    private ClusterProcess(ProcessIdentity identity, Process? child)
    {
        Identity = identity;
        this.child = child;
    }

    public ProcessIdentity Identity { get; }

    public int ProcessId => Identity.ProcessId;

    public static ClusterProcess Spawn(ProcessLaunch launch)
    {
        var (fileName, arguments) = CommandLine(launch);
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            WorkingDirectory = launch.WorkingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The launcher runs with the service's privileges: none of the service's secrets, and none of the user's
        // variables either (LD_PRELOAD or PATH would run their code as root); those reach only the Dask process.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        start.Environment["LANG"] = "C.UTF-8";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {launch.Executable}.");
        var identity = ReadIdentity(process.Id) ?? new ProcessIdentity(process.Id, 0, CurrentBootId.Value);
        return new ClusterProcess(identity, process);
    }

    /// <summary>
    /// The command that starts <paramref name="launch"/>: setsid, a private mount namespace when asked, the launcher
    /// shell, then setpriv (another account, no groups, no capabilities, no_new_privs) and <c>env -i</c> with exactly
    /// the process's environment.
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) CommandLine(ProcessLaunch launch)
    {
        var command = new List<string>();
        if (launch.PrivateTmp is not null)
        {
            command.AddRange(["/usr/bin/unshare", "--mount", "--propagation", "private"]);
        }

        command.AddRange(["/bin/sh", "-c", Launcher, "platform-cluster-launcher", launch.LogFile, launch.ReadyFile ?? "", launch.PrivateTmp ?? "", "--"]);
        if (launch.Account is { } account)
        {
            command.AddRange(
            [
                "/usr/bin/setpriv",
                $"--reuid={account.UserId.ToString(CultureInfo.InvariantCulture)}",
                $"--regid={account.GroupId.ToString(CultureInfo.InvariantCulture)}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]);
        }

        command.AddRange(["/usr/bin/env", "-i", "--"]);
        foreach (var (name, value) in launch.Environment)
        {
            // env would read a name holding '=' as another assignment; such a name cannot be set anyway.
            if (name.Length > 0 && !name.Contains('=', StringComparison.Ordinal))
            {
                command.Add($"{name}={value}");
            }
        }

        command.Add(launch.Executable);
        command.AddRange(launch.Arguments);
        return ("/usr/bin/setsid", command);
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
        SignalGroup(UnixSignal.Terminate);
        var deadline = DateTimeOffset.UtcNow + grace;
        while (!HasExited && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        // Also after the leader exited: anything it spawned may still be in its group.
        SignalGroup(UnixSignal.Kill);
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
            _ = UnixSignal.SendToGroup(Identity.ProcessId, signal);
        }
    }

    private static bool IsSameLiveProcess(ProcessIdentity identity) =>
        ReadIdentity(identity.ProcessId) is { } current && current == identity;

    /// <summary>PID, start time and boot id of a live (non-zombie) process, from /proc.</summary>
    public static ProcessIdentity? ReadIdentity(int processId) =>
        ProcessStat.Read(processId) is { IsAlive: true } stat ? new ProcessIdentity(processId, stat.StartTime, CurrentBootId.Value) : null;

    /// <summary>
    /// SIGKILLs every process of <paramref name="userId"/> outside the sessions in <paramref name="keep"/> and this
    /// service's own: what a task started with <c>setsid</c> escapes the process group with. Returns how many.
    /// </summary>
    public static int KillStrays(int userId, IReadOnlySet<int> keep)
    {
        var own = ProcessStat.Read(Environment.ProcessId)?.Session ?? 0;
        var killed = 0;
        // A stray may fork while we look; a few rounds catch its children.
        for (var round = 0; round < 5; round++)
        {
            var strays = ProcessTable.LiveProcesses()
                .Where(s => s.Session != own && !keep.Contains(s.Session) && ProcessTable.RealUserId(s.ProcessId) == userId)
                .ToList();
            if (strays.Count == 0)
            {
                break;
            }

            killed += strays.Count(s => UnixSignal.Send(s.ProcessId, UnixSignal.Kill));
            Thread.Sleep(20);
        }

        return killed;
    }

    /// <summary>Gives a file or folder to an account without following a link there.</summary>
    public static void GiveTo(string path, ClusterAccount account)
    {
        if (NativeMethods.lchown(path, account.UserId, account.GroupId) != 0)
        {
            throw new IOException($"chown {path} to {account.Name} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks; lchown(2) is blittable, so DllImport costs nothing.
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int lchown(string path, int owner, int group);
#pragma warning restore SYSLIB1054
    }
}
