using System.Text.Json;
using Platform.Processes;


namespace Platform.Testing;

/// <summary>
/// Records the processes a run started (PID and exact command line) so the next run can stop what a
/// crashed run left behind. A PID is only signalled while /proc still shows the recorded command line,
/// because after a crash the number may already belong to somebody else's process.
/// </summary>
public sealed class PidFile
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, Entry> processes = [];

    public PidFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>Writes the file with no processes yet, marking this run as the data folder's owner.</summary>
    public void Claim()
    {
        lock (gate)
        {
            Write();
        }
    }

    /// <summary>
    /// Call once the process runs its final program (after setsid/setpriv have exec'd), e.g. once it is healthy.
    /// <paramref name="stopSignal"/> is how a later run asks it to stop (PostgreSQL: SIGINT, its fast shutdown).
    /// </summary>
    public void Record(int processId, int stopSignal = UnixSignal.Terminate)
    {
        lock (gate)
        {
            this.processes[processId] = new Entry(processId, [.. ProcessTable.CommandLine(processId)], stopSignal);
            Write();
        }
    }

    public void Forget(int processId)
    {
        lock (gate)
        {
            this.processes.Remove(processId);
            Write();
        }
    }

    public void Delete()
    {
        lock (gate)
        {
            this.processes.Clear();
            File.Delete(Path);
        }
    }

    /// <summary>The PID of a live process that wrote <paramref name="path"/> (another run using the same data), or null.</summary>
    public static int? LiveOwner(string path)
    {
        var content = Read(path);
        return content is not null && content.Owner != Environment.ProcessId && ProcessTable.IsRunning(content.Owner)
            && ProcessTable.CommandLine(content.Owner).SequenceEqual(content.OwnerCommandLine)
            ? content.Owner
            : null;
    }

    /// <summary>Stops every recorded process that is still the same executable, then deletes the file. Returns the PIDs stopped.</summary>
    public static async Task<IReadOnlyList<int>> StopLeftoversAsync(string path, Action<string>? say = null, CancellationToken ct = default)
    {
        var content = Read(path);
        if (content is null)
        {
            return [];
        }

        var stopped = new List<int>();
        var ours = new List<int>();
        foreach (var entry in content.Processes)
        {
            if (!ProcessTable.IsRunning(entry.ProcessId))
            {
                ours.Add(entry.ProcessId);
            }
            else if (ProcessTable.CommandLine(entry.ProcessId).SequenceEqual(entry.CommandLine))
            {
                ours.Add(entry.ProcessId);
                var commandLine = string.Join(' ', entry.CommandLine);
                say?.Invoke($"Stopping PID {entry.ProcessId} ({(commandLine.Length > 100 ? commandLine[..100] + "..." : commandLine)}) left running by an earlier run.");
                UnixSignal.Send(entry.ProcessId, entry.StopSignal == 0 ? UnixSignal.Terminate : entry.StopSignal);
                stopped.Add(entry.ProcessId);
            }
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (stopped.Any(ProcessTable.IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        foreach (var pid in stopped.Where(ProcessTable.IsRunning))
        {
            UnixSignal.Send(pid, UnixSignal.Kill);
        }
        // Each recorded process led its own process group (setsid). A group outliving its leader is still ours
        // (the kernel does not reuse a group's ID while it has members); a reused PID's group is not.
        foreach (var leader in ours)
        {
            foreach (var member in ProcessTable.ProcessGroupMembers(leader))
            {
                UnixSignal.Send(member, UnixSignal.Kill);
            }
        }
        File.Delete(path);
        return stopped;
    }

    private void Write()
    {
        var content = new Content(Environment.ProcessId, [.. ProcessTable.CommandLine(Environment.ProcessId)],
            [.. this.processes.Values]);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(content));
        File.Move(temporary, Path, overwrite: true);
    }

    private static Content? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Content>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private sealed record Entry(int ProcessId, string[] CommandLine, int StopSignal);

    private sealed record Content(int Owner, string[] OwnerCommandLine, Entry[] Processes);
}
