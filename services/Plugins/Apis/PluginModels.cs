using Platform.Plugins.Infrastructure;
using Platform.Plugins.Registry;

namespace Platform.Plugins.Apis;

/// <summary><c>GET /api/plugins/{name}</c>: the plugin, its capabilities, its last handler runs and their errors.</summary>
public sealed record PluginDetails(
    string Name,
    string Version,
    string? PreviousVersion,
    bool Enabled,
    bool Loaded,
    string Source,
    string PackageId,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Capabilities,
    DateTimeOffset? InstalledAt,
    DateTimeOffset? UpdatedAt,
    IReadOnlyList<HandlerRunView> LastRuns,
    IReadOnlyList<HandlerRunView> LastErrors)
{
    public static PluginDetails From(PluginSummary plugin, IReadOnlyList<HandlerRunView> runs) => new(
        plugin.Name,
        plugin.Version,
        plugin.PreviousVersion,
        plugin.Enabled,
        plugin.Loaded,
        plugin.Source,
        plugin.PackageId,
        plugin.Capabilities,
        plugin.InstalledAt,
        plugin.UpdatedAt,
        [.. runs.Take(20)],
        [.. runs.Where(r => r.Error is not null).Take(10)]);
}

public sealed record PluginList(IReadOnlyList<PluginSummary> Plugins);

public sealed record HandlerRunList(IReadOnlyList<HandlerRunView> Runs);
