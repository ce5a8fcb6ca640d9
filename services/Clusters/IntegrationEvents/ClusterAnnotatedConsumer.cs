using MassTransit;
using Npgsql;
using Platform.Clusters.Infrastructure;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Clusters.IntegrationEvents;

/// <summary>A plugin's handler annotated a cluster: the annotations are merged into the cluster's, shown on the platform API.</summary>
public sealed class ClusterAnnotatedConsumer(NpgsqlDataSource database, ILogger<ClusterAnnotatedConsumer> logger)
    : IdempotentConsumer<ClusterAnnotated>(database, logger)
{
    protected override Task HandleAsync(ClusterAnnotated message, NpgsqlTransaction transaction, ConsumeContext<ClusterAnnotated> context) =>
        ClusterLabelStore.AnnotateAsync(transaction, message.ClusterName, message.Annotations, context.CancellationToken);
}
