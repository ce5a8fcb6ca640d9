using Npgsql;
using Platform.Clusters.Model;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Clusters.IntegrationEvents;

/// <summary>Writes the integration event of a state change into the outbox, in the transaction that made the change.</summary>
public sealed class ClusterIntegrationEvents(IntegrationEventOutbox outbox)
{
    public Task EnqueueTransitionAsync(NpgsqlTransaction transaction, ClusterRecord cluster, DateTimeOffset at, CancellationToken cancellationToken) => cluster.State switch
    {
        ClusterState.Pending => outbox.EnqueueAsync(transaction, new ClusterCreated(cluster.Name, cluster.Owner, OptionsAsText(cluster), at, cluster.Labels), cancellationToken),
        ClusterState.Running => outbox.EnqueueAsync(
            transaction,
            new ClusterRunning(cluster.Name, cluster.Owner, cluster.SchedulerAddress ?? "", cluster.DashboardAddress ?? "", at, cluster.Labels),
            cancellationToken),
        ClusterState.Stopping => outbox.EnqueueAsync(transaction, new ClusterStopping(cluster.Name, cluster.Owner, at, cluster.Labels), cancellationToken),
        ClusterState.Stopped => outbox.EnqueueAsync(transaction, new ClusterStopped(cluster.Name, cluster.Owner, at, cluster.Labels), cancellationToken),
        ClusterState.Failed => outbox.EnqueueAsync(transaction, new ClusterFailed(cluster.Name, cluster.Owner, cluster.FailureReason ?? "unknown", at, cluster.Labels), cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(cluster), cluster.State, null),
    };

    public Task EnqueueScaledAsync(NpgsqlTransaction transaction, ClusterRecord cluster, DateTimeOffset at, CancellationToken cancellationToken) =>
        outbox.EnqueueAsync(transaction, new ClusterScaled(cluster.Name, cluster.Owner, cluster.RequestedWorkers, at, cluster.Labels), cancellationToken);

    // The contract carries options as strings: each value's JSON text, so nothing is lost.
    private static Dictionary<string, string> OptionsAsText(ClusterRecord cluster)
    {
        var options = System.Text.Json.Nodes.JsonNode.Parse(cluster.OptionsJson)!.AsObject();
        return options.ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? p.Value.GetValue<string>() : p.Value?.ToJsonString() ?? "null");
    }
}
