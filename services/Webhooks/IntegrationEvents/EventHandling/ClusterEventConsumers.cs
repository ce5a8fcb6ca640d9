using MassTransit;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Messaging;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents.EventHandling;

public sealed class ClusterCreatedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterCreatedConsumer> logger)
    : IdempotentBatchConsumer<ClusterCreated>(database, logger)
{
    protected override Task HandleAsync(ClusterCreated message, NpgsqlTransaction transaction, ConsumeContext<ClusterCreated> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterCreated, message.CreatedAt,
            new ClusterChange(message.ClusterName, message.Owner, "PENDING", Workers: 0, OptionsJson: WebhookPayloads.OptionsJson(message.Options)),
            context.CancellationToken);
}

public sealed class ClusterRunningConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterRunningConsumer> logger)
    : IdempotentBatchConsumer<ClusterRunning>(database, logger)
{
    protected override Task HandleAsync(ClusterRunning message, NpgsqlTransaction transaction, ConsumeContext<ClusterRunning> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterRunning, message.StartedAt,
            new ClusterChange(message.ClusterName, message.Owner, "RUNNING", DashboardAddress: message.DashboardAddress),
            context.CancellationToken);
}

public sealed class ClusterScaledConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterScaledConsumer> logger)
    : IdempotentBatchConsumer<ClusterScaled>(database, logger)
{
    protected override Task HandleAsync(ClusterScaled message, NpgsqlTransaction transaction, ConsumeContext<ClusterScaled> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterScaled, message.ScaledAt,
            new ClusterChange(message.ClusterName, message.Owner, null, Workers: message.RequestedWorkers),
            context.CancellationToken);
}

public sealed class ClusterStoppingConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterStoppingConsumer> logger)
    : IdempotentBatchConsumer<ClusterStopping>(database, logger)
{
    protected override Task HandleAsync(ClusterStopping message, NpgsqlTransaction transaction, ConsumeContext<ClusterStopping> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterStopping, message.StoppingAt,
            new ClusterChange(message.ClusterName, message.Owner, "STOPPING"),
            context.CancellationToken);
}

public sealed class ClusterStoppedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterStoppedConsumer> logger)
    : IdempotentBatchConsumer<ClusterStopped>(database, logger)
{
    protected override Task HandleAsync(ClusterStopped message, NpgsqlTransaction transaction, ConsumeContext<ClusterStopped> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterStopped, message.StoppedAt,
            new ClusterChange(message.ClusterName, message.Owner, "STOPPED", Workers: 0),
            context.CancellationToken);
}

public sealed class ClusterFailedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<ClusterFailedConsumer> logger)
    : IdempotentBatchConsumer<ClusterFailed>(database, logger)
{
    protected override Task HandleAsync(ClusterFailed message, NpgsqlTransaction transaction, ConsumeContext<ClusterFailed> context) =>
        fanOut.ClusterEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.ClusterFailed, message.FailedAt,
            new ClusterChange(message.ClusterName, message.Owner, "FAILED", Workers: 0, FailureReason: message.Reason),
            context.CancellationToken);
}
