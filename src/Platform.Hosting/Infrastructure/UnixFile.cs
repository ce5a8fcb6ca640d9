namespace Platform.Hosting.Infrastructure;

/// <summary>File permission bits; the launchers target Linux, and on Windows these are meaningless rather than fatal.</summary>
internal static class UnixFile
{
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public static UnixFileMode GetMode(string path) =>
        OperatingSystem.IsWindows() ? (UnixFileMode)0b111_111_111 : File.GetUnixFileMode(path);
}
