using MassTransit;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Plugins.Handlers;
using Platform.Plugins.Sdk.Handlers;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Plugins.IntegrationEvents.EventHandling;

// One thin consumer per cluster event: each turns its event into facts and hands them to the intake.

public sealed class ClusterCreatedConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterCreatedConsumer> logger)
    : IdempotentConsumer<ClusterCreated>(database, logger)
{
    protected override Task HandleAsync(ClusterCreated message, NpgsqlTransaction transaction, ConsumeContext<ClusterCreated> context) =>
        intake.RecordAsync(transaction, Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Created, message.Options), context.MessageId!.Value, context.CancellationToken);
}

public sealed class ClusterRunningConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterRunningConsumer> logger)
    : IdempotentConsumer<ClusterRunning>(database, logger)
{
    protected override Task HandleAsync(ClusterRunning message, NpgsqlTransaction transaction, ConsumeContext<ClusterRunning> context) =>
        intake.RecordAsync(
            transaction,
            Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Running, new Dictionary<string, string>
            {
                ["schedulerAddress"] = message.SchedulerAddress,
                ["dashboardAddress"] = message.DashboardAddress,
            }),
            context.MessageId!.Value,
            context.CancellationToken);
}

public sealed class ClusterScaledConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterScaledConsumer> logger)
    : IdempotentConsumer<ClusterScaled>(database, logger)
{
    protected override Task HandleAsync(ClusterScaled message, NpgsqlTransaction transaction, ConsumeContext<ClusterScaled> context) =>
        intake.RecordAsync(
            transaction,
            Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Scaled, new Dictionary<string, string> { ["requestedWorkers"] = message.RequestedWorkers.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            context.MessageId!.Value,
            context.CancellationToken);
}

public sealed class ClusterStoppingConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterStoppingConsumer> logger)
    : IdempotentConsumer<ClusterStopping>(database, logger)
{
    protected override Task HandleAsync(ClusterStopping message, NpgsqlTransaction transaction, ConsumeContext<ClusterStopping> context) =>
        intake.RecordAsync(transaction, Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Stopping, null), context.MessageId!.Value, context.CancellationToken);
}

public sealed class ClusterStoppedConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterStoppedConsumer> logger)
    : IdempotentConsumer<ClusterStopped>(database, logger)
{
    protected override Task HandleAsync(ClusterStopped message, NpgsqlTransaction transaction, ConsumeContext<ClusterStopped> context) =>
        intake.RecordAsync(transaction, Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Stopped, null), context.MessageId!.Value, context.CancellationToken);
}

public sealed class ClusterFailedConsumer(NpgsqlDataSource database, ClusterEventIntake intake, ILogger<ClusterFailedConsumer> logger)
    : IdempotentConsumer<ClusterFailed>(database, logger)
{
    protected override Task HandleAsync(ClusterFailed message, NpgsqlTransaction transaction, ConsumeContext<ClusterFailed> context) =>
        intake.RecordAsync(
            transaction,
            Facts.Of(message.ClusterName, message.Owner, message.Labels, ClusterEvents.Failed, new Dictionary<string, string> { ["reason"] = message.Reason }),
            context.MessageId!.Value,
            context.CancellationToken);
}

internal static class Facts
{
    private static readonly Dictionary<string, string> None = [];

    public static ClusterEventFacts Of(string cluster, string owner, IReadOnlyDictionary<string, string>? labels, ClusterEvents clusterEvent, IReadOnlyDictionary<string, string>? details) =>
        new(cluster, owner, labels ?? None, clusterEvent, HandlerMatcher.PhaseAfter(clusterEvent), details ?? None);
}
