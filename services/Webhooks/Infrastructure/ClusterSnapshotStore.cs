using Npgsql;
using NpgsqlTypes;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>What an event changes in a cluster's snapshot; null leaves a field as it is.</summary>
public sealed record ClusterChange(string Name, string Owner, string? Status, int? Workers = null, string? OptionsJson = null, string? DashboardAddress = null, string? FailureReason = null);

/// <summary>The cluster_snapshots table, updated in the consumer's transaction.</summary>
public static class ClusterSnapshotStore
{
    public static async Task<ClusterSnapshot> ApplyAsync(NpgsqlTransaction transaction, ClusterChange change, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            insert into cluster_snapshots (name, owner, status, workers, options, dashboard_address, failure_reason)
            values ($1, $2, coalesce($3, 'PENDING'), coalesce($4, 0), coalesce($5, '{}'::jsonb), $6, $7)
            on conflict (name) do update set
                owner = excluded.owner,
                status = coalesce($3, cluster_snapshots.status),
                workers = coalesce($4, cluster_snapshots.workers),
                options = coalesce($5, cluster_snapshots.options),
                dashboard_address = coalesce($6, cluster_snapshots.dashboard_address),
                failure_reason = coalesce($7, cluster_snapshots.failure_reason),
                updated_at = now()
            returning name, owner, status, workers, options::text, dashboard_address, failure_reason
            """, transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = change.Name });
        command.Parameters.Add(new() { Value = change.Owner });
        command.Parameters.Add(new() { Value = (object?)change.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)change.Workers ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = (object?)change.OptionsJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = (object?)change.DashboardAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)change.FailureReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ClusterSnapshot(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetInt32(3),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6));
    }
}
