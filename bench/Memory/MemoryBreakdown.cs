using System.Globalization;

namespace Platform.Memory.Bench;

/// <summary>
/// Where a process's resident memory is, from <c>/proc/PID/smaps</c>: each mapping's RSS put in one category by what is
/// mapped (an assembly, a native library, the JIT's and type loader's memory, the GC heap, malloc, thread stacks).
/// Anonymous memory carries no name, so the GC heap, glibc's arenas and stacks are told apart by their shape (below).
/// </summary>
internal sealed class MemoryBreakdown
{
    public const string Framework = "framework .dll";
    public const string App = "app .dll";
    public const string Runtime = "runtime .so";
    public const string SystemLibraries = "system .so";
    public const string LoaderAndJit = "JIT+types";
    public const string GcHeap = "GC heap";
    public const string Malloc = "malloc";
    public const string Stacks = "stacks";
    public const string OtherAnonymous = "other anon";
    public const string Other = "other";

    public static readonly string[] Categories = [Framework, App, Runtime, SystemLibraries, LoaderAndJit, GcHeap, Malloc, Stacks, OtherAnonymous, Other];

    // glibc gives each non-main arena a 64 MB-aligned 64 MB reservation, committed from its start (HEAP_MAX_SIZE).
    private const long ArenaSize = 64L << 20;

    private MemoryBreakdown(Dictionary<string, double> megabytes, int frameworkAssemblies, int appAssemblies, int threads, Dictionary<string, long> files)
    {
        Megabytes = megabytes;
        Files = files;
        FrameworkAssemblies = frameworkAssemblies;
        AppAssemblies = appAssemblies;
        Threads = threads;
    }

    /// <summary>RSS (MB) per category.</summary>
    public IReadOnlyDictionary<string, double> Megabytes { get; }

    public int FrameworkAssemblies { get; }

    public int AppAssemblies { get; }

    public int Threads { get; }

    /// <summary>Resident KB per mapped file (assemblies and native libraries), all its mappings together.</summary>
    public IReadOnlyDictionary<string, long> Files { get; }

    public static MemoryBreakdown Of(int processId)
    {
        var mappings = Read(processId);
        var gc = GcRange(mappings);
        var megabytes = Categories.ToDictionary(c => c, _ => 0.0);
        var files = new Dictionary<string, string>();
        var fileKb = new Dictionary<string, long>();
        for (var i = 0; i < mappings.Count; i++)
        {
            var mapping = mappings[i];
            var category = Categorize(mappings, i, gc);
            megabytes[category] += mapping.RssKb / 1024.0;
            if (mapping.Path.StartsWith('/'))
            {
                fileKb[mapping.Path] = fileKb.GetValueOrDefault(mapping.Path) + mapping.RssKb;
            }

            if (category is Framework or App)
            {
                files[mapping.Path] = category;
            }
        }

        var threads = int.Parse(
            File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(),
            CultureInfo.InvariantCulture);
        return new MemoryBreakdown(megabytes, files.Values.Count(c => c == Framework), files.Values.Count(c => c == App), threads, fileKb);
    }

    private static string Categorize(List<Mapping> mappings, int index, (int First, int Last) gc)
    {
        var mapping = mappings[index];
        var path = mapping.Path;
        if (path.EndsWith(".dll", StringComparison.Ordinal))
        {
            return path.Contains("/shared/Microsoft.", StringComparison.Ordinal) ? Framework : App;
        }

        if (path.EndsWith(".so", StringComparison.Ordinal) || path.Contains(".so.", StringComparison.Ordinal))
        {
            return path.Contains("/shared/Microsoft.NETCore.App/", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("libcoreclr", StringComparison.Ordinal)
                || Path.GetFileName(path).StartsWith("libclrjit", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("libSystem.", StringComparison.Ordinal)
                ? Runtime
                : SystemLibraries;
        }

        // With W^X on (the default) the runtime maps its executable allocator's memory, JIT code and loader heaps, from a memfd.
        if (path.StartsWith("/memfd:doublemapper", StringComparison.Ordinal))
        {
            return LoaderAndJit;
        }

        if (path == "[heap]")
        {
            return Malloc;
        }

        if (path == "[stack]")
        {
            return Stacks;
        }

        if (path.Length > 0)
        {
            return Other;
        }

        if (index >= gc.First && index <= gc.Last)
        {
            return GcHeap;
        }

        if (mapping.Permissions.Contains('x', StringComparison.Ordinal))
        {
            return LoaderAndJit;
        }

        if (IsArena(mappings, index))
        {
            return Malloc;
        }

        // A thread's stack sits right above its guard page.
        return index > 0 && mappings[index - 1].End == mapping.Start && mappings[index - 1].Permissions.StartsWith("---", StringComparison.Ordinal)
            && mappings[index - 1].Path.Length == 0 && mappings[index - 1].Size <= 64 << 10 && mapping.Size >= 128 << 10
            ? Stacks
            : OtherAnonymous;
    }

    /// <summary>The GC reserves one range far larger than anything else (tens of GB with regions) and commits regions inside it.</summary>
    private static (int First, int Last) GcRange(List<Mapping> mappings)
    {
        var largest = -1;
        for (var i = 0; i < mappings.Count; i++)
        {
            if (mappings[i].Path.Length == 0 && (largest < 0 || mappings[i].Size > mappings[largest].Size))
            {
                largest = i;
            }
        }

        if (largest < 0 || mappings[largest].Size < 1L << 30)
        {
            return (-1, -2);
        }

        var (first, last) = (largest, largest);
        while (first > 0 && Contiguous(mappings[first - 1], mappings[first]) && !IsArena(mappings, first - 1))
        {
            first--;
        }

        while (last + 1 < mappings.Count && Contiguous(mappings[last], mappings[last + 1]) && !IsArena(mappings, last + 1))
        {
            last++;
        }

        return (first, last);
    }

    private static bool Contiguous(Mapping below, Mapping above) => below.End == above.Start && below.Path.Length == 0 && above.Path.Length == 0;

    private static bool IsArena(List<Mapping> mappings, int index)
    {
        var mapping = mappings[index];
        var start = mapping.Start - (mapping.Start % ArenaSize);
        var first = index;
        while (first > 0 && first > index - 2 && mappings[first].Start > start && Contiguous(mappings[first - 1], mappings[first]))
        {
            first--;
        }

        if (mappings[first].Start != start || !mappings[first].Permissions.StartsWith("rw", StringComparison.Ordinal))
        {
            return false;
        }

        var end = start + ArenaSize;
        if (mappings[first].End == end)
        {
            return true;
        }

        return first + 1 < mappings.Count && Contiguous(mappings[first], mappings[first + 1])
            && mappings[first + 1].Permissions.StartsWith("---", StringComparison.Ordinal) && mappings[first + 1].End == end;
    }

    private static List<Mapping> Read(int processId)
    {
        var mappings = new List<Mapping>();
        foreach (var line in File.ReadLines($"/proc/{processId}/smaps"))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && dash < space && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start))
            {
                // "start-end perms offset dev inode [path]"
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                mappings.Add(new Mapping(
                    start,
                    long.Parse(fields[0][(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    fields[1],
                    fields.Length > 5 ? fields[5].Trim() : ""));
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                mappings[^1].RssKb = long.Parse(line["Rss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return mappings;
    }

    private sealed record Mapping(long Start, long End, string Permissions, string Path)
    {
        public long Size => End - Start;

        public long RssKb { get; set; }
    }
}
