using Platform.Auth.Abstractions;
using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Commands;
using Platform.Plugins.Sdk.Deployments;
using Platform.Plugins.Sdk.Handlers;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Stages;
using Platform.Plugins.Sdk.Validation;

namespace Platform.Plugins.Loading;

/// <summary>A registered cluster handler: what triggers it, for which clusters, and how it is retried.</summary>
public sealed record HandlerRegistration(
    string Name,
    ClusterEvents Events,
    ClusterPhase? FromPhase,
    ClusterPhase? ToPhase,
    TimeSpan? TimerInterval,
    ClusterFilter Filter,
    ClusterHandler Handler,
    HandlerOptions Options)
{
    public bool IsTransition => ToPhase is not null;

    public bool IsTimer => TimerInterval is not null;

    public string Describe() => IsTimer ? $"{Name} (every {TimerInterval})"
        : IsTransition ? $"{Name} ({FromPhase?.ToString() ?? "any"} -> {ToPhase})"
        : $"{Name} ({Events})";
}

public sealed record ValidatorRegistration(string Name, ClusterValidator Validator, TimeSpan? Timeout);

public sealed record RouteRegistration(string Method, string[] Segments, PluginRouteHandler Handler)
{
    public string Pattern => string.Join('/', Segments);

    /// <summary>The <c>{param}</c> values when <paramref name="path"/> matches this route's segments.</summary>
    public Dictionary<string, string>? Match(string method, string[] path)
    {
        if (!string.Equals(method, Method, StringComparison.OrdinalIgnoreCase) || path.Length != Segments.Length)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < path.Length; i++)
        {
            var segment = Segments[i];
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                values[segment[1..^1]] = Uri.UnescapeDataString(path[i]);
            }
            else if (!string.Equals(segment, path[i], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return values;
    }
}

/// <summary>Everything one plugin registered during initialization; frozen afterwards.</summary>
public sealed class PluginRegistrations
{
    public List<HandlerRegistration> Handlers { get; } = [];
    public List<ValidatorRegistration> Validators { get; } = [];
    public List<RouteRegistration> Routes { get; } = [];
    public List<IDeploymentPlugin> Deployments { get; } = [];
    public List<IAuthenticator> Authenticators { get; } = [];
    public List<IDeploymentStage> Stages { get; } = [];
    public List<ICliCommand> Commands { get; } = [];

    /// <summary>What the API shows: capability → the names registered under it.</summary>
    public Dictionary<string, IReadOnlyList<string>> Capabilities()
    {
        var capabilities = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        void Add(string capability, IEnumerable<string> names)
        {
            var list = names.ToList();
            if (list.Count > 0)
            {
                capabilities[capability] = list;
            }
        }

        Add(PluginCapabilities.Handlers, Handlers.Select(h => h.Describe()));
        Add(PluginCapabilities.Validators, Validators.Select(v => v.Name));
        Add(PluginCapabilities.Routes, Routes.Select(r => $"{r.Method} {r.Pattern}"));
        Add(PluginCapabilities.Deployments, Deployments.Select(d => d.Kind));
        Add(PluginCapabilities.Authenticators, Authenticators.Select(a => a.Name));
        Add(PluginCapabilities.Stages, Stages.OrderBy(s => s.Priority).Select(s => $"{s.Name} (priority {s.Priority})"));
        Add(PluginCapabilities.Commands, Commands.Select(c => c.Arguments.Count == 0 ? c.Name : $"{c.Name} {string.Join(' ', c.Arguments.Select(a => a.Required ? $"<{a.Name}>" : $"[{a.Name}]"))}"));
        return capabilities;
    }
}
