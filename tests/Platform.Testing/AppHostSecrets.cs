using System.Security.Cryptography;
using System.Text.Json;
using Platform.Hosting.Infrastructure;

namespace Platform.Testing;

/// <summary>
/// The values of the AppHost's generated secret parameters (<c>sealing-key</c>, <c>proxy-token</c>) for a test run on
/// one data folder. Left to the AppHost, they are generated once and kept in its user secrets, one file for every run
/// on the machine: AppHosts started at the same time on a fresh machine each generate their own and the last write
/// wins, so a later run on the first one's data cannot unseal what it sealed. Here each data folder gets its own,
/// kept next to it (so a second run on the same data reuses them), and no test writes to the developer's user secrets.
/// </summary>
public static class AppHostSecrets
{
    /// <summary>Parameter name → value.</summary>
    public static IReadOnlyDictionary<string, string> For(string dataDirectory)
    {
        var file = Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".parameters.json";
        if (File.Exists(file))
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file))!;
        }

        var values = new Dictionary<string, string>
        {
            ["sealing-key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["proxy-token"] = GeneratedSecret.NewPassword(64),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, JsonSerializer.Serialize(values));
        return values;
    }

    /// <summary>The same as AppHost command-line arguments (<c>--Parameters:name=value</c>).</summary>
    public static IEnumerable<string> Arguments(string dataDirectory) =>
        For(dataDirectory).Select(p => $"--Parameters:{p.Key}={p.Value}");
}
