using NuGet.Versioning;

namespace Platform.Plugins.Loading;

/// <summary>
/// A validated plugin package: its NuGet identity, the assemblies under <c>lib/net10.0/</c> (by simple name) and the
/// assembly whose <c>[assembly: PlatformPlugin(typeof(…))]</c> names the entry point.
/// </summary>
public sealed record PluginPackage(
    string PackageId,
    NuGetVersion Version,
    IReadOnlyDictionary<string, byte[]> Assemblies,
    string EntryAssembly,
    string EntryType,
    string Sha256,
    long SizeBytes);

/// <summary>Either a package or the problem that makes it unusable, worded for the uploader.</summary>
public sealed record PackageInspection(PluginPackage? Package, string? Problem)
{
    public static PackageInspection Refused(string problem) => new(null, problem);
}
