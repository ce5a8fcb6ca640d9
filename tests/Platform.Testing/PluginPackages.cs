using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Platform.Testing;

/// <summary>
/// The sample plugins and the test plugins as a plugin author's <c>dotnet pack</c> makes them (packed on build:
/// PluginPackaging.targets, and this project references them so a test build brings them up to date), and variants
/// of them: another version, or broken on purpose.
/// </summary>
public static partial class PluginPackages
{
    public const string BadgePackageId = "Platform.Plugins.Samples.Badge";

    // Each package's project folder, relative to the repository.
    private static readonly Dictionary<string, string> Projects = new(StringComparer.Ordinal)
    {
        ["Platform.Plugins.Samples.Hello"] = Path.Combine("src", "Platform.Plugins.Samples.Hello"),
        [BadgePackageId] = Path.Combine("src", BadgePackageId),
        ["Platform.Plugins.TestPlugins.Chaos"] = Path.Combine("tests", "Platform.Plugins.TestPlugins", "Chaos"),
        ["Platform.Plugins.TestPlugins.Echo"] = Path.Combine("tests", "Platform.Plugins.TestPlugins", "Echo"),
    };

    public static async Task<byte[]> HelloAsync() => await File.ReadAllBytesAsync(PathOf("Platform.Plugins.Samples.Hello"));

    public static async Task<byte[]> ChaosAsync() => await File.ReadAllBytesAsync(PathOf("Platform.Plugins.TestPlugins.Chaos"));

    public static async Task<byte[]> EchoAsync() => await File.ReadAllBytesAsync(PathOf("Platform.Plugins.TestPlugins.Echo"));

    public static async Task<byte[]> BadgeAsync() => await File.ReadAllBytesAsync(PathOf(BadgePackageId));

    /// <summary>The package the build of this test run made: &lt;project&gt;/bin/&lt;configuration of this test build&gt;/&lt;id&gt;.1.0.0.nupkg.</summary>
    public static string PathOf(string packageId)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(FindRepository(), Projects[packageId], "bin", configuration, $"{packageId}.1.0.0.nupkg");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{packageId} was not packed by the build (PluginPackaging.targets packs on build).", path);
    }

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
