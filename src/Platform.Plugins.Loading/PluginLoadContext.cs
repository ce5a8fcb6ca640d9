using System.Reflection;
using System.Runtime.Loader;

namespace Platform.Plugins.Loading;

/// <summary>
/// One plugin's assemblies, in a collectible context so disabling can unload them. The SDK, the contracts and the
/// shared frameworks resolve to the host's copies (so <c>IPlugin</c> is our type); everything else the package
/// carries is private, so two plugins may bring different versions of one library.
/// </summary>
internal sealed class PluginLoadContext(string name, IReadOnlyDictionary<string, byte[]> assemblies)
    : AssemblyLoadContext(name, isCollectible: true)
{
    private static readonly HashSet<string> SharedContracts = new(StringComparer.OrdinalIgnoreCase)
    {
        "Platform.Plugins.Sdk",
        "Platform.Contracts",
        "Platform.Auth.Abstractions",
    };

    /// <summary>Assemblies of the shared frameworks (Microsoft.NETCore.App, Microsoft.AspNetCore.App) the host runs on.</summary>
    private static readonly Lazy<HashSet<string>> FrameworkAssemblies = new(() =>
    {
        var shared = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)))!;
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return new HashSet<string>(
            trusted.Where(p => p.StartsWith(shared + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Select(Path.GetFileNameWithoutExtension).OfType<string>(),
            StringComparer.OrdinalIgnoreCase);
    });

    public static bool IsShared(string simpleName) => IsSharedContract(simpleName) || FrameworkAssemblies.Value.Contains(simpleName);

    public static bool IsSharedContract(string simpleName) => SharedContracts.Contains(simpleName);

    public Assembly LoadPrivate(string simpleName)
    {
        using var image = new MemoryStream(assemblies[simpleName], writable: false);
        return LoadFromStream(image);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var simpleName = assemblyName.Name;
        if (simpleName is null || IsShared(simpleName) || !assemblies.ContainsKey(simpleName))
        {
            return null;
        }

        return LoadPrivate(simpleName);
    }
}
