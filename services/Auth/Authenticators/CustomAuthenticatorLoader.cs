using System.Reflection;
using System.Runtime.Loader;
using Platform.Auth.Abstractions;

namespace Platform.Auth.Authenticators;

/// <summary>
/// Loads the authenticator named by <c>Auth:Custom:Class</c> (an assembly-qualified type name) from
/// <c>Auth:ExtensionsDirectory</c>, in a load context of its own so its dependencies cannot clash with ours.
/// Only the contract assembly (Platform.Auth.Abstractions) is shared, so its <see cref="IAuthenticator"/> is our type.
/// </summary>
public static class CustomAuthenticatorLoader
{
    public static IAuthenticator Load(IConfiguration configuration, string? extensionsDirectory)
    {
        var className = configuration["Auth:Custom:Class"];
        if (string.IsNullOrWhiteSpace(className))
        {
            throw new InvalidOperationException("Auth:Custom:Class must name the authenticator type (\"Namespace.Type, Assembly\") when Auth:Type includes custom.");
        }

        if (string.IsNullOrWhiteSpace(extensionsDirectory) || !Directory.Exists(extensionsDirectory))
        {
            throw new InvalidOperationException($"Auth:ExtensionsDirectory '{extensionsDirectory}' does not exist; it must hold the custom authenticator's assembly.");
        }

        var (typeName, assemblyName) = SplitTypeName(className);
        var assemblyPath = FindAssembly(Path.GetFullPath(extensionsDirectory), assemblyName)
            ?? throw new InvalidOperationException($"No {assemblyName}.dll in Auth:ExtensionsDirectory '{extensionsDirectory}' (looked in the folder and in a sub-folder named after the assembly).");

        var context = new AuthenticatorLoadContext(assemblyPath);
        var type = context.LoadFromAssemblyPath(assemblyPath).GetType(typeName, throwOnError: false)
            ?? throw new InvalidOperationException($"{assemblyName} has no type {typeName}.");
        if (!typeof(IAuthenticator).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new InvalidOperationException($"{type.FullName} does not implement {typeof(IAuthenticator).FullName} from the shared {typeof(IAuthenticator).Assembly.GetName().Name} assembly.");
        }

        var settings = new AuthenticatorSettings(
            configuration.GetSection("Auth:Custom:Settings").AsEnumerable(makePathsRelative: true)
                .Where(e => e.Value is not null)
                .Select(e => new KeyValuePair<string, string>(e.Key, e.Value!)));
        try
        {
            return type.GetConstructor([typeof(AuthenticatorSettings)]) is { } withSettings
                ? (IAuthenticator)withSettings.Invoke([settings])
                : (IAuthenticator)(Activator.CreateInstance(type)
                    ?? throw new InvalidOperationException($"{type.FullName} could not be constructed."));
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"The custom authenticator {type.FullName} failed to start: {e.InnerException.GetType().Name}", e.InnerException);
        }
    }

    private static (string TypeName, string AssemblyName) SplitTypeName(string className)
    {
        var comma = className.IndexOf(',', StringComparison.Ordinal);
        if (comma <= 0)
        {
            throw new InvalidOperationException($"Auth:Custom:Class '{className}' must be assembly-qualified: \"Namespace.Type, Assembly\".");
        }

        var assembly = new AssemblyName(className[(comma + 1)..].Trim());
        return (className[..comma].Trim(), assembly.Name!);
    }

    private static string? FindAssembly(string directory, string assemblyName) =>
        new[] { Path.Combine(directory, assemblyName + ".dll"), Path.Combine(directory, assemblyName, assemblyName + ".dll") }
            .FirstOrDefault(File.Exists);
}

/// <summary>One plugin's assemblies, resolved from its own folder (and its deps.json); the contract comes from the host.</summary>
internal sealed class AuthenticatorLoadContext(string assemblyPath)
    : AssemblyLoadContext($"authenticator:{Path.GetFileNameWithoutExtension(assemblyPath)}")
{
    private static readonly string SharedContract = typeof(IAuthenticator).Assembly.GetName().Name!;
    private readonly AssemblyDependencyResolver resolver = new(assemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Returning null defers to the default context: the host's copy of the contract, so the interface types match.
        if (assemblyName.Name == SharedContract)
        {
            return null;
        }

        return resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
