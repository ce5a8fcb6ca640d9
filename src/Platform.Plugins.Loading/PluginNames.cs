using System.Text.RegularExpressions;

namespace Platform.Plugins.Loading;

/// <summary>Plugin names are path segments (<c>/api/plugins/{name}/…</c>) and object-store key parts.</summary>
public static partial class PluginNames
{
    public static bool IsValid(string? name) => name is { Length: > 0 and <= 63 } && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Pattern();
}
