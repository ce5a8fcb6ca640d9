using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Clusters.Infrastructure;

/// <summary>Labels and annotations of a cluster row; kept apart from <see cref="ClusterStore"/>'s state machine.</summary>
public sealed class ClusterLabelStore(NpgsqlDataSource database, Lifecycle.ClusterChangeSignal changes)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Replaces the cluster's labels, with a timeline entry; false when there is no such cluster.</summary>
    public async Task<bool> ReplaceLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, string changedBy, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            with updated as (update clusters set labels = $2 where name = $1 returning name, state)
            insert into cluster_events (cluster_name, state, kind, message) select name, state, 'labels', $3 from updated
            """);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(labels, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = $"labels set by {changedBy}" });
        var updated = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (updated)
        {
            changes.Notify(name);
        }

        return updated;
    }

    /// <summary>Merges a plugin's annotations into the cluster's, in the consumer's inbox transaction.</summary>
    public static async Task AnnotateAsync(NpgsqlTransaction transaction, string name, IReadOnlyDictionary<string, string> annotations, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("update clusters set annotations = annotations || $2 where name = $1", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(annotations, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
