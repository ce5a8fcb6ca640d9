using Microsoft.Extensions.Options;
using Platform.Clusters.Backends;
using Platform.Clusters.Infrastructure;
using Platform.Clusters.Lifecycle;
using Platform.Clusters.Model;

namespace Platform.Clusters.Apis;

/// <summary>What the cluster endpoints need, bundled for <c>[AsParameters]</c>.</summary>
public sealed class ClusterServices(
    ClusterStore store,
    ClusterLifecycle lifecycle,
    ClusterOptions options,
    ClusterChangeSignal changes,
    IClusterBackend backend,
    IOptions<ClusterSettings> settings)
{
    public ClusterStore Store { get; } = store;
    public ClusterLifecycle Lifecycle { get; } = lifecycle;
    public ClusterOptions Options { get; } = options;
    public ClusterChangeSignal Changes { get; } = changes;
    public IClusterBackend Backend { get; } = backend;
    public IOptions<ClusterSettings> Settings { get; } = settings;
}
