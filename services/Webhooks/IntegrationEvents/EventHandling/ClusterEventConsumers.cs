using MassTransit;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Messaging;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents.EventHandling;

/// <summary>A batch of one cluster event type, fanned out set-based; each consumer only says what its event changes.</summary>
public abstract class ClusterEventConsumer<TEvent>(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger logger)
    : IdempotentBatchConsumer<TEvent>(database, logger)
    where TEvent : class
{
    protected abstract ClusterEvent Describe(Guid eventId, TEvent message);

    protected override async Task<Action?> HandleBatchAsync(IReadOnlyList<ConsumeContext<TEvent>> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var result = await fanOut.ClusterEventsAsync(transaction, [.. messages.Select(m => Describe(m.MessageId!.Value, m.Message))], cancellationToken);
        return () => fanOut.Committed(result);
    }
}

public sealed class ClusterCreatedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterCreatedConsumer> logger)
    : ClusterEventConsumer<ClusterCreated>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterCreated message) => new(
        eventId, WebhookEventTypes.ClusterCreated, message.CreatedAt,
        new ClusterChange(message.ClusterName, message.Owner, "PENDING", Workers: 0, OptionsJson: WebhookPayloads.OptionsJson(message.Options)));
}

public sealed class ClusterRunningConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterRunningConsumer> logger)
    : ClusterEventConsumer<ClusterRunning>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterRunning message) => new(
        eventId, WebhookEventTypes.ClusterRunning, message.StartedAt,
        new ClusterChange(message.ClusterName, message.Owner, "RUNNING", DashboardAddress: message.DashboardAddress));
}

public sealed class ClusterScaledConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterScaledConsumer> logger)
    : ClusterEventConsumer<ClusterScaled>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterScaled message) => new(
        eventId, WebhookEventTypes.ClusterScaled, message.ScaledAt,
        new ClusterChange(message.ClusterName, message.Owner, null, Workers: message.RequestedWorkers));
}

public sealed class ClusterStoppingConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterStoppingConsumer> logger)
    : ClusterEventConsumer<ClusterStopping>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterStopping message) => new(
        eventId, WebhookEventTypes.ClusterStopping, message.StoppingAt,
        new ClusterChange(message.ClusterName, message.Owner, "STOPPING"));
}

public sealed class ClusterStoppedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterStoppedConsumer> logger)
    : ClusterEventConsumer<ClusterStopped>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterStopped message) => new(
        eventId, WebhookEventTypes.ClusterStopped, message.StoppedAt,
        new ClusterChange(message.ClusterName, message.Owner, "STOPPED", Workers: 0));
}

public sealed class ClusterFailedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterFailedConsumer> logger)
    : ClusterEventConsumer<ClusterFailed>(database, fanOut, logger)
{
    protected override ClusterEvent Describe(Guid eventId, ClusterFailed message) => new(
        eventId, WebhookEventTypes.ClusterFailed, message.FailedAt,
        new ClusterChange(message.ClusterName, message.Owner, "FAILED", Workers: 0, FailureReason: message.Reason));
}
