using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Platform.Testing;

/// <summary>
/// The sample plugins and the test plugins, packed by <c>dotnet pack</c> once per test run (as a plugin author would),
/// and variants of them: another version, or broken on purpose.
/// </summary>
public static partial class PluginPackages
{
    // Packs run one at a time: two at once would build the shared SDK project into the same folders.
    private static readonly SemaphoreSlim Packing = new(1, 1);

    // What the Plugins tests use comes in one pack (one build of the SDK); a sample alone for tests that need only it.
    private static readonly Lazy<Task<string>> TestPlugins = new(() => PackAsync(Path.Combine("tests", "Platform.Plugins.TestPlugins", "TestPlugins.slnx")));
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Samples = new(StringComparer.Ordinal);

    public const string BadgePackageId = "Platform.Plugins.Samples.Badge";

    public static async Task<byte[]> HelloAsync() => await File.ReadAllBytesAsync(await PathOfAsync("Platform.Plugins.Samples.Hello"));

    public static async Task<byte[]> ChaosAsync() => await File.ReadAllBytesAsync(await PathOfAsync("Platform.Plugins.TestPlugins.Chaos"));

    public static async Task<byte[]> EchoAsync() => await File.ReadAllBytesAsync(await PathOfAsync("Platform.Plugins.TestPlugins.Echo"));

    public static async Task<byte[]> BadgeAsync() => await File.ReadAllBytesAsync(await PathOfAsync(BadgePackageId));

    /// <summary>A package of the test plugins' pack (the samples and the test plugins).</summary>
    public static async Task<string> PathOfAsync(string packageId) => Path.Combine(await TestPlugins.Value, $"{packageId}.1.0.0.nupkg");

    /// <summary>One sample under <c>src/</c>, packed on its own (cheaper when a test needs nothing else).</summary>
    public static async Task<string> SamplePathAsync(string packageId) =>
        Path.Combine(await Samples.GetOrAdd(packageId, id => new(() => PackAsync(Path.Combine("src", id, $"{id}.csproj")))).Value, $"{packageId}.1.0.0.nupkg");

    /// <summary>The same package with another version in its .nuspec (what a rebuilt, re-versioned plugin looks like).</summary>
    public static byte[] WithVersion(byte[] package, string version) => Rewrite(package, (entry, content) =>
        entry.EndsWith(".nuspec", StringComparison.Ordinal)
            ? System.Text.Encoding.UTF8.GetBytes(VersionElement().Replace(System.Text.Encoding.UTF8.GetString(content), $"<version>{version}</version>"))
            : content);

    /// <summary>The same package with its lib/net10.0 folder renamed to lib/<paramref name="framework"/>.</summary>
    public static byte[] WithFramework(byte[] package, string framework) =>
        Rewrite(package, (entry, content) => content, entry => entry.Replace("lib/net10.0/", $"lib/{framework}/", StringComparison.Ordinal));

    /// <summary>The same package with the entry-point assembly replaced by its private dependency only (no attribute anywhere).</summary>
    public static byte[] WithoutEntries(byte[] package, Func<string, bool> drop) => Rewrite(package, (entry, content) => content, entry => drop(entry) ? null : entry);

    private static byte[] Rewrite(byte[] package, Func<string, byte[], byte[]> content, Func<string, string?>? rename = null)
    {
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(package), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                var name = rename is null ? entry.FullName : rename(entry.FullName);
                if (name is null)
                {
                    continue;
                }

                using var read = entry.Open();
                using var buffer = new MemoryStream();
                read.CopyTo(buffer);
                var written = target.CreateEntry(name);
                using var write = written.Open();
                write.Write(content(entry.FullName, buffer.ToArray()));
            }
        }

        return output.ToArray();
    }

    private static async Task<string> PackAsync(string project)
    {
        var repository = FindRepository();
        var output = Path.Combine(Path.GetTempPath(), $"platform-plugin-packages-{Environment.ProcessId}-{Path.GetFileNameWithoutExtension(project)}");
        Directory.CreateDirectory(output);
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        await Packing.WaitAsync();
        try
        {
            // Test projects run in parallel processes (dotnet test on the solution), and each may pack: a file lock per
            // clone keeps their builds of the shared SDK project apart.
            var lockPath = Path.Combine(Path.GetTempPath(), $"platform-plugin-pack-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(repository)))[..16]}.lock");
            await using var packLock = await AcquireAsync(lockPath);
            return await RunPackAsync(Path.Combine(repository, project), configuration, output);
        }
        finally
        {
            Packing.Release();
        }
    }

    private static async Task<FileStream> AcquireAsync(string path)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(15);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<string> RunPackAsync(string project, string configuration, string output)
    {
        var start = new ProcessStartInfo("dotnet", ["pack", project, "-c", configuration, "-o", output, "-nologo", "-v:q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet pack of {Path.GetFileName(project)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }

        return output;
    }

    private static string FindRepository()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test output folder.");
    }

    [GeneratedRegex("<version>[^<]*</version>")]
    private static partial Regex VersionElement();
}
