using Npgsql;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>The cluster_snapshots table, read and written in the consumer's transaction a batch at a time.</summary>
public static class ClusterSnapshotStore
{
    /// <summary>
    /// The snapshots of the clusters <paramref name="changes"/> name, locked until the transaction ends, so the batch's
    /// changes apply in order on top of what every earlier transaction committed. A cluster not yet known gets its row
    /// first, so even a brand-new cluster is locked against a concurrent batch (of another event type) about it.
    /// Also returns the names of the clusters this transaction heard of first.
    /// </summary>
    public static async Task<(Dictionary<string, ClusterSnapshot> Snapshots, HashSet<string> New)> LockAsync(NpgsqlTransaction transaction, IReadOnlyCollection<ClusterChange> changes, CancellationToken cancellationToken)
    {
        // Rows are created and locked in name order, so two batches about the same clusters cannot deadlock.
        var first = changes.DistinctBy(c => c.Name).OrderBy(c => c.Name, StringComparer.Ordinal).Select(ClusterSnapshot.New).ToList();
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        var create = new NpgsqlBatchCommand("""
            insert into cluster_snapshots (name, owner, status, workers, options)
            select name, owner, status, workers, options::jsonb from unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[])
                as n (name, owner, status, workers, options)
            order by name collate "C"
            on conflict (name) do nothing
            returning name
            """);
        create.Parameters.Add(new() { Value = first.Select(s => s.Name).ToArray() });
        create.Parameters.Add(new() { Value = first.Select(s => s.Owner).ToArray() });
        create.Parameters.Add(new() { Value = first.Select(s => s.Status).ToArray() });
        create.Parameters.Add(new() { Value = first.Select(s => s.Workers).ToArray() });
        create.Parameters.Add(new() { Value = first.Select(s => s.OptionsJson).ToArray() });
        batch.BatchCommands.Add(create);
        var select = new NpgsqlBatchCommand("""
            select name, owner, status, workers, options::text, dashboard_address, failure_reason
            from cluster_snapshots where name = any($1) order by name collate "C" for update
            """);
        select.Parameters.Add(new() { Value = first.Select(s => s.Name).ToArray() });
        batch.BatchCommands.Add(select);

        var snapshots = new Dictionary<string, ClusterSnapshot>(StringComparer.Ordinal);
        var created = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            created.Add(reader.GetString(0));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var snapshot = new ClusterSnapshot(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6));
            snapshots[snapshot.Name] = snapshot;
        }

        return (snapshots, created);
    }

    /// <summary>Writes the snapshots back (their rows are locked by <see cref="LockAsync"/>): one statement for the batch.</summary>
    public static NpgsqlBatchCommand Save(IReadOnlyCollection<ClusterSnapshot> snapshots)
    {
        var update = new NpgsqlBatchCommand("""
            update cluster_snapshots c set owner = u.owner, status = u.status, workers = u.workers, options = u.options::jsonb,
                dashboard_address = u.dashboard_address, failure_reason = u.failure_reason, updated_at = now()
            from unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[])
                as u (name, owner, status, workers, options, dashboard_address, failure_reason)
            where c.name = u.name
            """);
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.Name).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.Owner).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.Status).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.Workers).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.OptionsJson).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.DashboardAddress).ToArray() });
        update.Parameters.Add(new() { Value = snapshots.Select(s => s.FailureReason).ToArray() });
        return update;
    }
}
