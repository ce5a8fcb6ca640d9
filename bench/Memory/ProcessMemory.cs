using System.Globalization;

namespace Platform.Memory.Bench;

/// <summary>RSS counts every resident page; PSS splits shared pages (the runtime's mapped files) among their sharers.</summary>
internal sealed record ProcessMemory(double RssMb, double PssMb)
{
    public static ProcessMemory Of(int processId) =>
        new(Kilobytes($"/proc/{processId}/status", "VmRSS:") / 1024.0, Kilobytes($"/proc/{processId}/smaps_rollup", "Pss:") / 1024.0);

    private static long Kilobytes(string file, string field)
    {
        var line = File.ReadLines(file).First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
