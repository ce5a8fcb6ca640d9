using System.Globalization;

namespace Platform.Processes;

/// <summary>Reads Linux /proc to answer "is this PID still the process we started?" without trusting names.</summary>
public static class ProcessTable
{
    /// <summary>The stat of every process alive now.</summary>
    public static IEnumerable<ProcessStat> LiveProcesses()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid)
                && ProcessStat.Read(pid) is { IsAlive: true } stat)
            {
                yield return stat;
            }
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsRunning(int processId) => ProcessStat.Read(processId) is { IsAlive: true };

    /// <summary>The argv of a process, or an empty list if it is gone.</summary>
    public static IReadOnlyList<string> CommandLine(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The real user id of a live process, or null when it is gone.</summary>
    public static int? RealUserId(int processId)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 1 } && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Live processes whose process group is <paramref name="groupId"/>: what a child started in its own session left behind.</summary>
    public static IReadOnlyList<int> ProcessGroupMembers(int groupId) =>
        [.. LiveProcesses().Where(s => s.ProcessGroup == groupId).Select(s => s.ProcessId)];

    /// <summary>Live direct and indirect children of a process.</summary>
    public static IReadOnlyList<int> Descendants(int processId)
    {
        var children = LiveProcesses().ToLookup(s => s.ParentId, s => s.ProcessId);
        var result = new List<int>();
        var pending = new Queue<int>([processId]);
        while (pending.TryDequeue(out var current))
        {
            foreach (var child in children[current])
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        }

        return result;
    }
}
