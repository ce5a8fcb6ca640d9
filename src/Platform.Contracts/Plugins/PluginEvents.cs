namespace Platform.Contracts.Plugins;

/// <summary>
/// A plugin package was stored (a first install or an upgrade). <paramref name="PackageKey"/> is its object-store key;
/// services that host one of <paramref name="Capabilities"/> (e.g. Auth for <c>authenticator</c>) load it from there.
/// </summary>
public sealed record PluginInstalled(
    string Name,
    string Version,
    string PackageKey,
    IReadOnlyList<string> Capabilities,
    bool Enabled,
    DateTimeOffset InstalledAt);

/// <summary>The plugin's capabilities are to be loaded and used from now on.</summary>
public sealed record PluginEnabled(
    string Name,
    string Version,
    string PackageKey,
    IReadOnlyList<string> Capabilities,
    DateTimeOffset EnabledAt);

/// <summary>The plugin's capabilities are to be unloaded; its package stays installed.</summary>
public sealed record PluginDisabled(
    string Name,
    DateTimeOffset DisabledAt);

/// <summary>The plugin and its packages were deleted.</summary>
public sealed record PluginRemoved(
    string Name,
    DateTimeOffset RemovedAt);

/// <summary>A plugin's handler attached annotations (what it created, for whom) to a cluster; Clusters shows them.</summary>
public sealed record ClusterAnnotated(
    string ClusterName,
    string Plugin,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset AnnotatedAt);
