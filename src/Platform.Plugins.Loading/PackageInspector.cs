using System.Collections.Immutable;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Xml.Linq;
using NuGet.Versioning;

namespace Platform.Plugins.Loading;

/// <summary>
/// Checks an uploaded package without running any of its code: a zip with a <c>.nuspec</c> naming id and version,
/// assemblies for net10.0, one of which carries the entry-point attribute (read from metadata, not by loading it).
/// </summary>
public static class PackageInspector
{
    public const string TargetFramework = "net10.0";
    private const string LibPrefix = "lib/" + TargetFramework + "/";
    private const string EntryAttributeNamespace = "Platform.Plugins.Sdk";
    private const string EntryAttributeName = "PlatformPluginAttribute";

    public static PackageInspection Inspect(byte[] content, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.LongLength > maxBytes)
        {
            return PackageInspection.Refused($"The package is over the size limit of {maxBytes} bytes (Plugins:MaxPackageBytes).");
        }

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            return PackageInspection.Refused("The package is not a zip file; upload the .nupkg that dotnet pack makes.");
        }

        using (zip)
        {
            var nuspec = zip.Entries.FirstOrDefault(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
            if (nuspec is null)
            {
                return PackageInspection.Refused("The package has no .nuspec at its root; it is not a NuGet package.");
            }

            var (id, version, nuspecProblem) = ReadNuspec(nuspec);
            if (nuspecProblem is not null)
            {
                return PackageInspection.Refused(nuspecProblem);
            }

            var libraries = zip.Entries
                .Where(e => e.FullName.StartsWith("lib/", StringComparison.OrdinalIgnoreCase) && e.FullName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                .ToList();
            var ours = libraries.Where(e => e.FullName.StartsWith(LibPrefix, StringComparison.OrdinalIgnoreCase) && e.FullName.Count(c => c == '/') == 2).ToList();
            if (ours.Count == 0)
            {
                var others = libraries.Select(e => e.FullName.Split('/')[1]).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
                return PackageInspection.Refused(others.Count > 0
                    ? $"The package targets {string.Join(", ", others)}, not the required target framework {TargetFramework} (no assemblies under {LibPrefix})."
                    : $"The package has no assemblies under {LibPrefix}; the plugin must target {TargetFramework}.");
            }

            var assemblies = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
            string? entryAssembly = null;
            string? entryType = null;
            foreach (var entry in ours)
            {
                var bytes = ReadAll(entry);
                var (simpleName, pluginType, references) = ReadAssembly(bytes);
                if (simpleName is null)
                {
                    return PackageInspection.Refused($"{entry.FullName} is not a .NET assembly.");
                }

                if (NewerSharedReference(simpleName, references) is { } referenceProblem)
                {
                    return PackageInspection.Refused(referenceProblem);
                }

                assemblies[simpleName] = bytes;
                if (pluginType is not null)
                {
                    if (entryAssembly is not null)
                    {
                        return PackageInspection.Refused($"Both {entryAssembly} and {simpleName} carry [assembly: PlatformPlugin]; a package has one entry point.");
                    }

                    (entryAssembly, entryType) = (simpleName, pluginType);
                }
            }

            if (entryAssembly is null || entryType is null)
            {
                return PackageInspection.Refused($"No assembly under {LibPrefix} carries the entry-point attribute [assembly: {EntryAttributeNamespace}.PlatformPlugin(typeof(YourPlugin))].");
            }

            return new PackageInspection(
                new PluginPackage(id!, version!, assemblies, entryAssembly, entryType, Convert.ToHexStringLower(SHA256.HashData(content)), content.LongLength),
                null);
        }
    }

    private static (string? Id, NuGetVersion? Version, string? Problem) ReadNuspec(ZipArchiveEntry entry)
    {
        XDocument document;
        try
        {
            using var stream = entry.Open();
            document = XDocument.Load(stream);
        }
        catch (System.Xml.XmlException e)
        {
            return (null, null, $"The .nuspec is not valid XML: {e.Message}");
        }

        var metadata = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
        var id = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "id")?.Value.Trim();
        var versionText = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "version")?.Value.Trim();
        if (string.IsNullOrEmpty(id))
        {
            return (null, null, "The .nuspec has no package id.");
        }

        if (string.IsNullOrEmpty(versionText) || !NuGetVersion.TryParse(versionText, out var version))
        {
            return (null, null, $"The .nuspec version '{versionText}' is not a valid NuGet version.");
        }

        return (id, version, null);
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// A reference to a contract the host shares with plugins (the SDK, the contracts) in a version newer than the
    /// host's: the plugin's types could not load here, so it is refused naming both versions; null when none.
    /// </summary>
    public static string? NewerSharedReference(string assembly, IEnumerable<AssemblyName> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        foreach (var reference in references)
        {
            if (reference.Name is { } name && PluginLoadContext.IsSharedContract(name)
                && HostVersion(name) is { } host && reference.Version is { } wanted && wanted > host)
            {
                return $"{assembly} was built against {name} {wanted}, newer than this platform's {host}; build the plugin against the SDK version the platform runs, or an older one.";
            }
        }

        return null;
    }

    private static Version? HostVersion(string name)
    {
        try
        {
            return Assembly.Load(new AssemblyName(name)).GetName().Version;
        }
        catch (FileNotFoundException)
        {
            // This host does not carry that contract (Plugins has no Auth abstractions): nothing to compare with.
            return null;
        }
    }

    /// <summary>
    /// The assembly's simple name, the plugin type it names if it has the entry-point attribute, and what it references.
    /// </summary>
    private static (string? SimpleName, string? PluginType, IReadOnlyList<AssemblyName> References) ReadAssembly(byte[] bytes)
    {
        try
        {
            using var pe = new PEReader(ImmutableArray.Create(bytes));
            if (!pe.HasMetadata)
            {
                return (null, null, []);
            }

            var reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                return (null, null, []);
            }

            var definition = reader.GetAssemblyDefinition();
            var simpleName = reader.GetString(definition.Name);
            var references = reader.AssemblyReferences.Select(r => reader.GetAssemblyReference(r).GetAssemblyName()).ToList();
            foreach (var handle in definition.GetCustomAttributes())
            {
                var attribute = reader.GetCustomAttribute(handle);
                if (!IsEntryAttribute(reader, attribute))
                {
                    continue;
                }

                var value = attribute.DecodeValue(new TypeNameProvider());
                var typeName = value.FixedArguments.Length == 1 ? value.FixedArguments[0].Value as string : null;
                return (simpleName, typeName?.Split(',')[0].Trim(), references);
            }

            return (simpleName, null, references);
        }
        catch (BadImageFormatException)
        {
            return (null, null, []);
        }
    }

    private static bool IsEntryAttribute(MetadataReader reader, CustomAttribute attribute)
    {
        if (attribute.Constructor.Kind != HandleKind.MemberReference)
        {
            return false;
        }

        var parent = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
        if (parent.Kind != HandleKind.TypeReference)
        {
            return false;
        }

        var type = reader.GetTypeReference((TypeReferenceHandle)parent);
        return reader.GetString(type.Namespace) == EntryAttributeNamespace && reader.GetString(type.Name) == EntryAttributeName;
    }

    /// <summary>Decodes attribute arguments to type names only; enough to read <c>typeof(X)</c>.</summary>
    private sealed class TypeNameProvider : ICustomAttributeTypeProvider<string>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();

        public string GetSystemType() => "System.Type";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            return $"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}";
        }

        // Namespace-qualified, so the decoder recognises the constructor's System.Type parameter.
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return $"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}";
        }

        public string GetTypeFromSerializedName(string name) => name;

        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;

        public bool IsSystemType(string type) => type == "System.Type";
    }
}
