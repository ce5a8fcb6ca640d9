using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents;

/// <summary>
/// Turns one integration event into one committed message per matching endpoint, in the consumer's transaction, so the
/// inbox row, the snapshot and the messages commit together. The webhook-id derives from the event's id.
/// </summary>
public sealed class WebhookFanOut(IOptions<WebhookSettings> settings)
{
    public async Task<int> ClusterEventAsync(NpgsqlTransaction transaction, Guid eventId, string eventType, DateTimeOffset at, ClusterChange change, CancellationToken cancellationToken)
    {
        var snapshot = await ClusterSnapshotStore.ApplyAsync(transaction, change, cancellationToken);
        var payload = WebhookPayloads.Cluster(eventType, at, snapshot, settings.Value.PublicUrl);
        return await MessageStore.FanOutAsync(transaction, WebhookIds.ForEvent(eventId), eventType, snapshot.Owner, payload, cancellationToken);
    }

    /// <summary>An event about the platform rather than one user's cluster: admins' endpoints only.</summary>
    public Task<int> AdminEventAsync(NpgsqlTransaction transaction, Guid eventId, string eventType, string payload, CancellationToken cancellationToken) =>
        MessageStore.FanOutAsync(transaction, WebhookIds.ForEvent(eventId), eventType, null, payload, cancellationToken);
}
