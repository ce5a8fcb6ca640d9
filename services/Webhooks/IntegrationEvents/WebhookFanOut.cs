using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Webhooks.Delivery;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents;

/// <summary>
/// Turns a batch of integration events into one committed message per event and matching endpoint, in the consumer's
/// transaction, so the inbox rows, the snapshots and the messages commit together. The webhook-id derives from the event's id.
/// </summary>
public sealed class WebhookFanOut(IOptions<WebhookSettings> settings, TimeProvider time, DeliveryDispatcher dispatcher)
{
    /// <summary>How long a later event that overtook its cluster's cluster.created (another queue) waits for it.</summary>
    public static readonly TimeSpan CreatedGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Three round trips whatever the batch size: lock the clusters' snapshots, then write the snapshots and every
    /// message. Each event's payload shows its cluster as of that event, the batch's events applied in their order.
    /// The messages are leased to this process: once the transaction commits, <see cref="Committed"/> hands them to its
    /// delivery lanes.
    /// </summary>
    public async Task<FanOutResult> ClusterEventsAsync(NpgsqlTransaction transaction, IReadOnlyList<ClusterEvent> events, CancellationToken cancellationToken)
    {
        var (snapshots, heardOfFirst) = await ClusterSnapshotStore.LockAsync(transaction, [.. events.Select(e => e.Change)], cancellationToken);
        var outgoing = new List<OutgoingEvent>(events.Count);
        foreach (var e in events)
        {
            // Each event type has its own queue, so cluster.running can overtake cluster.created by a few milliseconds;
            // applied now, its payload would lack the options. Rolled back, it is retried shortly (MassTransit's retry).
            if (heardOfFirst.Remove(e.Change.Name) && e.EventType != WebhookEventTypes.ClusterCreated && time.GetUtcNow() - e.At < CreatedGrace)
            {
                throw new ClusterNotYetCreatedException(e.EventType, e.EventId);
            }

            var snapshot = snapshots[e.Change.Name] = snapshots[e.Change.Name].Apply(e.Change);
            outgoing.Add(new OutgoingEvent(WebhookIds.ForEvent(e.EventId), e.EventType, snapshot.Owner, WebhookPayloads.Cluster(e.EventType, e.At, snapshot, settings.Value.PublicUrl)));
        }

        return await FanOutAsync(transaction, outgoing, ClusterSnapshotStore.Save(snapshots.Values), cancellationToken);
    }

    /// <summary>Events about the platform rather than one user's cluster: admins' endpoints only; leased as above.</summary>
    public Task<FanOutResult> AdminEventsAsync(NpgsqlTransaction transaction, IReadOnlyList<(Guid EventId, string EventType, string Payload)> events, CancellationToken cancellationToken) =>
        FanOutAsync(transaction, [.. events.Select(e => new OutgoingEvent(WebhookIds.ForEvent(e.EventId), e.EventType, null, e.Payload))], null, cancellationToken);

    /// <summary>
    /// The fan-out's transaction has committed: its leased messages go to this process's delivery lanes, which send them
    /// without claiming them. Not called (a rollback), they are claimed by any worker once their lease ends.
    /// </summary>
    public void Committed(FanOutResult result) => dispatcher.HandOff(result.Leased);

    private async Task<FanOutResult> FanOutAsync(NpgsqlTransaction transaction, IReadOnlyList<OutgoingEvent> outgoing, NpgsqlBatchCommand? alongside, CancellationToken cancellationToken)
    {
        var lease = settings.Value.Delivery.Lease;
        // Read before the statement takes the database's clock: the lease ends no earlier than this process believes.
        var leaseEnds = time.GetUtcNow() + lease;
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        batch.BatchCommands.Add(MessageStore.FanOut(outgoing, lease));
        if (alongside is not null)
        {
            batch.BatchCommands.Add(alongside);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var result = await MessageStore.ReadFanOutAsync(reader, outgoing, leaseEnds, cancellationToken);
        while (await reader.NextResultAsync(cancellationToken))
        {
        }

        return result;
    }
}

/// <summary>An event about a cluster whose cluster.created has not been applied yet; expected, and retried.</summary>
public sealed class ClusterNotYetCreatedException(string eventType, Guid eventId)
    : Exception($"{eventType} {eventId} arrived before its cluster's cluster.created; it is retried shortly");
