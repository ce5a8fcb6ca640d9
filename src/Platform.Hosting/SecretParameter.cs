using System.Security.Cryptography;
using Platform.Hosting.Infrastructure;

namespace Platform.Hosting;

/// <summary>
/// A secret shared by services that trust each other (the proxy token), like Aspire's generated parameters:
/// 32 random bytes in hex, generated once per data directory so every run and every service agree on it.
/// Published manifests refer to it in the generated Secret, never by value.
/// </summary>
public sealed class SecretParameter
{
    private readonly Lazy<string> _value;

    internal SecretParameter(string name, string dataDirectory)
    {
        Name = name;
        var path = Path.Combine(dataDirectory, "secrets", name);
        _value = new Lazy<string>(() => LoadOrCreate(path));
    }

    public string Name { get; }

    /// <summary>The value, created on first use under the data directory (mode 0600).</summary>
    public string Value => _value.Value;

    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string LoadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
            return existing;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var value = Generate();
        File.WriteAllText(path, value);
        UnixFile.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return value;
    }
}
