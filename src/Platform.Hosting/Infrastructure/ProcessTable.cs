namespace Platform.Hosting.Infrastructure;

/// <summary>Reads Linux /proc to answer "is this PID still the process we started?" without trusting names.</summary>
public static class ProcessTable
{
    /// <summary>True while the process exists and is not a zombie (a zombie has exited; only its exit status is left).</summary>
    public static bool IsRunning(int processId)
    {
        var stat = ReadStat(processId);
        return stat is not null && stat.Value.State is not ('Z' or 'X');
    }

    /// <summary>The argv of a process, or an empty list if it is gone.</summary>
    public static IReadOnlyList<string> CommandLine(int processId)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{processId}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Live processes whose process group is <paramref name="groupId"/>: what a child started in its own session left behind.</summary>
    public static IReadOnlyList<int> ProcessGroupMembers(int groupId)
    {
        var members = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            var stat = ReadStat(pid);
            if (stat is { } s && s.ProcessGroup == groupId && s.State is not ('Z' or 'X'))
                members.Add(pid);
        }
        return members;
    }

    /// <summary>Live direct and indirect children of a process.</summary>
    public static IReadOnlyList<int> Descendants(int processId)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            if (ReadStat(pid) is { } s && s.State is not ('Z' or 'X'))
            {
                if (!parents.TryGetValue(s.ParentId, out var children))
                    parents[s.ParentId] = children = [];
                children.Add(pid);
            }
        }
        var result = new List<int>();
        var pending = new Queue<int>([processId]);
        while (pending.TryDequeue(out var current))
        {
            if (!parents.TryGetValue(current, out var children))
                continue;
            foreach (var child in children)
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        }
        return result;
    }

    private readonly record struct Stat(char State, int ParentId, int ProcessGroup);

    private static Stat? ReadStat(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name is in parentheses and may itself contain spaces or ')', so parse after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(fields[0][0], int.Parse(fields[1]), int.Parse(fields[2]));
    }
}
