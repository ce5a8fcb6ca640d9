using System.Xml.Linq;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Where a project's build output is: bin/&lt;Configuration&gt;/&lt;tfm&gt;/&lt;AssemblyName&gt;.dll, started with
/// <c>dotnet &lt;dll&gt;</c> directly (<c>dotnet run</c> would add a process and a build between us and the service).
/// </summary>
internal static class ProjectOutput
{
    public static string AssemblyName(string projectPath)
    {
        var declared = XDocument.Load(projectPath).Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value.Trim();
        return string.IsNullOrEmpty(declared) || declared.Contains("$(", StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(projectPath)
            : declared;
    }

    public static string ExpectedPath(string projectPath, string configuration) =>
        Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", configuration, CurrentTargetFramework, AssemblyName(projectPath) + ".dll");

    /// <summary>The built assembly, or null when the project has not been built in this configuration.</summary>
    public static string? Locate(string projectPath, string configuration)
    {
        var expected = ExpectedPath(projectPath, configuration);
        if (File.Exists(expected))
            return expected;
        // A project may target another framework than the AppHost; take whichever build is there, newest first.
        var configurationFolder = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", configuration);
        return Directory.Exists(configurationFolder)
            ? Directory.EnumerateFiles(configurationFolder, Path.GetFileName(expected), SearchOption.AllDirectories)
                .Where(f => Path.GetDirectoryName(Path.GetDirectoryName(f)) == configurationFolder)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault()
            : null;
    }

    /// <summary>"net10.0" for the runtime we run on.</summary>
    private static string CurrentTargetFramework => $"net{Environment.Version.Major}.{Environment.Version.Minor}";
}
