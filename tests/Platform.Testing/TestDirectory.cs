namespace Platform.Testing;

/// <summary>
/// A fresh folder under /tmp, searchable (not listable) by other users so a server running as its own
/// user (postgres) can reach a data folder inside it. Deleted on dispose.
/// </summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"platform-{purpose}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Path { get; }

    public void Dispose() => DeleteQuietly(Path);

    /// <summary>Deletes folders left by test processes that were killed (the name carries the owner's PID).</summary>
    public static void DeleteAbandoned()
    {
        foreach (var folder in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), "platform-*-*-*"))
        {
            var parts = System.IO.Path.GetFileName(folder).Split('-');
            if (parts[^1].Length == 8 && int.TryParse(parts[^2], out var owner) && owner != Environment.ProcessId && !Platform.Processes.ProcessTable.IsRunning(owner))
            {
                DeleteQuietly(folder);
            }
        }
    }

    internal static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A server still shutting down may recreate a file as we delete; /tmp is cleaned eventually anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
