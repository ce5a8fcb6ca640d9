using System.Globalization;

/// <summary>
/// CPU seconds used so far by process trees (Linux /proc): a root's own and reaped children's time plus every live
/// descendant's, so PostgreSQL's per-connection backends count too. Says what one request costs, whatever the load.
/// A descendant under one of <paramref name="excluded"/> is left out: PostgreSQL and RabbitMQ are this process's
/// children, and metered on their own they must not count again in this process's figure.
/// </summary>
internal sealed class CpuMeter(int[] roots, int[]? excluded = null)
{
    public CpuMeter(int root)
        : this([root])
    {
    }

    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public double Seconds()
    {
        var stats = new Dictionary<int, (int Parent, double Self, double Children)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // Fields after the command name (which may hold spaces) start at the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                double Field(int index) => double.Parse(fields[index], CultureInfo.InvariantCulture) / TicksPerSecond;
                stats[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), Field(11) + Field(12), Field(13) + Field(14));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        var total = 0.0;
        foreach (var root in roots)
        {
            if (stats.TryGetValue(root, out var own))
            {
                total += own.Self + own.Children;
            }
        }

        foreach (var (pid, stat) in stats)
        {
            if (!roots.Contains(pid) && !(excluded ?? []).Contains(pid) && IsDescendant(pid))
            {
                total += stat.Self;
            }
        }

        return total;

        bool IsDescendant(int pid)
        {
            for (var depth = 0; depth < 8 && stats.TryGetValue(pid, out var stat); depth++)
            {
                if ((excluded ?? []).Contains(stat.Parent))
                {
                    return false;
                }

                if (roots.Contains(stat.Parent))
                {
                    return true;
                }

                pid = stat.Parent;
            }

            return false;
        }
    }
}
