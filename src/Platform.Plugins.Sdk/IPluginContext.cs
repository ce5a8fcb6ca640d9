using Microsoft.Extensions.Logging;
using Platform.Auth.Abstractions;
using Platform.Plugins.Sdk.Commands;
using Platform.Plugins.Sdk.Deployments;
using Platform.Plugins.Sdk.Handlers;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Stages;
using Platform.Plugins.Sdk.Validation;

namespace Platform.Plugins.Sdk;

/// <summary>What a plugin registers during <see cref="IPlugin.InitializeAsync"/>, and what it may use while loaded.</summary>
public interface IPluginContext
{
    /// <summary>The operator's settings for this plugin (<c>Plugins:Settings:{name}:*</c>), case-insensitive.</summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    ILogger Logger { get; }

    /// <summary>Small durable key/value state of this plugin, kept across restarts and upgrades.</summary>
    IPluginState State { get; }

    /// <summary>
    /// A handler run for each cluster event of <paramref name="events"/> that passes <paramref name="filter"/>
    /// (kopf's <c>@kopf.on.create</c> etc.). <paramref name="name"/> is unique within the plugin; runs are recorded under it.
    /// </summary>
    void OnClusterEvent(string name, ClusterEvents events, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null);

    /// <summary>A handler run when a cluster goes from phase <paramref name="fromPhase"/> (null: any) to <paramref name="toPhase"/>.</summary>
    void OnTransition(string name, ClusterPhase? fromPhase, ClusterPhase toPhase, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null);

    /// <summary>A handler run every <paramref name="interval"/> for each RUNNING cluster that passes the filter (kopf's timers).</summary>
    void OnTimer(string name, TimeSpan interval, ClusterFilter filter, ClusterHandler handler, HandlerOptions? options = null);

    /// <summary>A check before a cluster is created or scaled (an admission webhook); may refuse with a message the user sees.</summary>
    void AddValidator(string name, ClusterValidator validator, TimeSpan? timeout = null);

    /// <summary>An API route under <c>/api/plugins/{plugin}/{pattern}</c>; <paramref name="pattern"/> may hold <c>{param}</c> segments.</summary>
    void MapRoute(string method, string pattern, PluginRouteHandler handler);

    void AddDeployment(IDeploymentPlugin deployment);

    /// <summary>An authenticator for Auth to offer, loaded there the same way.</summary>
    void AddAuthenticator(IAuthenticator authenticator);

    /// <summary>A stage of deploying the platform (render, deploy, check, destroy); recorded and listed, not yet run.</summary>
    void AddDeploymentStage(IDeploymentStage stage);

    /// <summary>A subcommand of the platform's CLI; recorded and listed, not yet run.</summary>
    void AddCommand(ICliCommand command);
}

/// <summary>Durable key/value state of one plugin (values are short strings; keep big data elsewhere).</summary>
public interface IPluginState
{
    Task SetAsync(string key, string value, CancellationToken cancellationToken = default);

    Task<string?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every entry whose key starts with <paramref name="prefix"/>, ordered by key.</summary>
    Task<IReadOnlyDictionary<string, string>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);
}
