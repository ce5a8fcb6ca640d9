using System.Globalization;

namespace Platform.Processes;

/// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> we rely on: who a process is, whether it still runs, whose group and session it is in.</summary>
public readonly record struct ProcessStat(int ProcessId, char State, int ParentId, int ProcessGroup, int Session, long StartTime)
{
    /// <summary>False for a zombie or a dead process: it has exited and only its exit status is left.</summary>
    public bool IsAlive => State is not ('Z' or 'X');

    /// <summary>The process's stat, or null when it is gone (or not ours to read).</summary>
    public static ProcessStat? Read(int processId)
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

        return Parse(processId, text);
    }

    /// <summary>Parses one stat line; null when it is cut short (the process vanished while it was read).</summary>
    public static ProcessStat? Parse(int processId, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The command name is in parentheses and may itself contain spaces or ')', so fields are counted after the last ')'.
        var end = text.LastIndexOf(')');
        if (end < 0 || end + 2 >= text.Length)
        {
            return null;
        }

        var fields = text[(end + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0].Length == 0)
        {
            return null;
        }

        return new ProcessStat(
            processId,
            fields[0][0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            int.Parse(fields[3], CultureInfo.InvariantCulture),
            long.Parse(fields[19], CultureInfo.InvariantCulture));
    }
}
