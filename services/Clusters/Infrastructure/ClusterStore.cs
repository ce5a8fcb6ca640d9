using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Clusters.IntegrationEvents;
using Platform.Clusters.Lifecycle;
using Platform.Clusters.Model;
using Platform.ServiceDefaults.Secrets;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Clusters.Infrastructure;

/// <summary>
/// Cluster rows in <c>clustersdb</c>. Every state change is a conditional update guarded by the state machine,
/// written with its timeline entry and its integration event in one transaction. A cluster's TLS private key is
/// stored sealed (<see cref="SecretSealer"/>) and erased when the cluster is STOPPED or FAILED.
/// </summary>
public sealed class ClusterStore(NpgsqlDataSource database, ClusterIntegrationEvents events, ClusterChangeSignal changes, SecretSealer sealer, TimeProvider time)
{
    /// <summary>The sealing purpose: a cluster key cannot be unsealed as any other kind of secret.</summary>
    public const string TlsKeyPurpose = "clusters:tls-key";

    // Quota checks read totals and then write; one lock for all of them keeps two concurrent requests
    // from both fitting into the last free slot. The transactions holding it are a few milliseconds long.
    private const long QuotaLockKey = 0x636c_7573_7465_7273;

    private const string Columns = """
        name, owner, groups, state, options::text, resources::text, max_workers, requested_workers, running_workers,
        adaptive_active, adaptive_minimum, adaptive_maximum, scheduler_address, dashboard_address, tls_cert, tls_key,
        failure_reason, created_at, started_at, stopped_at, labels::text, annotations::text
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ClusterRecord?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select {Columns} from clusters where name = $1");
        command.Parameters.Add(new() { Value = name });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Clusters in <paramref name="states"/>, of one owner or (null) of everyone, oldest first.</summary>
    public async Task<IReadOnlyList<ClusterRecord>> ListAsync(string? owner, IReadOnlyCollection<ClusterState> states, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select {Columns} from clusters where ($1::text is null or owner = $1) and state = any($2) order by created_at, name");
        command.Parameters.Add(new() { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = states.Select(s => s.ToWireName()).ToArray() });
        return await ReadAsync(command, cancellationToken);
    }

    public Task<IReadOnlyList<ClusterRecord>> ListActiveAsync(CancellationToken cancellationToken) =>
        ListAsync(null, [.. ClusterStateNames.Active], cancellationToken);

    public async Task<IReadOnlyList<ClusterEvent>> TimelineAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("select occurred_at, state, kind, message from cluster_events where cluster_name = $1 order by id");
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var timeline = new List<ClusterEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            timeline.Add(new ClusterEvent(
                reader.GetFieldValue<DateTimeOffset>(0),
                ClusterStateNames.Parse(reader.GetString(1)),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return timeline;
    }

    /// <summary>Runs <paramref name="work"/> in a transaction holding the quota lock; commits unless it throws.</summary>
    public async Task<T> InQuotaTransactionAsync<T>(Func<NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"select pg_advisory_xact_lock({QuotaLockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = await work(transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>What active clusters of an owner, or of members of a group, hold — leaving out <paramref name="excluding"/>.</summary>
    public static async Task<ResourceUsage> UsageAsync(NpgsqlTransaction transaction, string? owner, string? group, string? excluding, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select count(*)::int,
                   coalesce(sum(requested_workers), 0)::int,
                   coalesce(sum(requested_workers * (resources->>'cores')::float8), 0),
                   coalesce(sum(requested_workers * (resources->>'memoryBytes')::float8), 0) / 1073741824.0
            from clusters
            where state in ('PENDING', 'RUNNING', 'STOPPING')
              and ($1::text is null or owner = $1)
              and ($2::text is null or $2 = any(groups))
              and ($3::text is null or name <> $3)
            """,
            transaction.Connection,
            transaction);
        command.Parameters.Add(new() { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)group ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)excluding ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ResourceUsage(reader.GetInt32(0), reader.GetInt32(1), reader.GetDouble(2), reader.GetDouble(3));
    }

    /// <summary>Records a new PENDING cluster, its first timeline entry and <c>ClusterCreated</c>.</summary>
    public async Task InsertAsync(NpgsqlTransaction transaction, ClusterRecord cluster, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand(
            """
            insert into clusters (name, owner, groups, state, options, resources, max_workers, tls_cert, tls_key, created_at, labels)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """,
            transaction.Connection,
            transaction))
        {
            command.Parameters.Add(new() { Value = cluster.Name });
            command.Parameters.Add(new() { Value = cluster.Owner });
            command.Parameters.Add(new() { Value = cluster.Groups.ToArray() });
            command.Parameters.Add(new() { Value = cluster.State.ToWireName() });
            command.Parameters.Add(new() { Value = cluster.OptionsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = JsonSerializer.Serialize(cluster.Resources, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new() { Value = cluster.MaxWorkers });
            command.Parameters.Add(new() { Value = cluster.TlsCert });
            command.Parameters.Add(new() { Value = sealer.Seal(cluster.TlsKey, TlsKeyPurpose) });
            command.Parameters.Add(new() { Value = cluster.CreatedAt });
            command.Parameters.Add(new() { Value = JsonSerializer.Serialize(cluster.Labels, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await AppendEventAsync(transaction, cluster.Name, cluster.State, "created", null, cancellationToken);
        await events.EnqueueTransitionAsync(transaction, cluster, cluster.CreatedAt, cancellationToken);
    }

    /// <summary>
    /// Moves a cluster to <paramref name="to"/> if the state machine allows it from its current state, with the
    /// integration event of the transition. Returns the updated cluster, or null when it was not in a source state.
    /// </summary>
    public async Task<ClusterRecord?> TransitionAsync(string name, ClusterState to, TransitionDetails details, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            update clusters set
                state = $2,
                scheduler_address = coalesce($4, scheduler_address),
                dashboard_address = coalesce($5, dashboard_address),
                failure_reason = coalesce($6, failure_reason),
                started_at = case when $2 = 'RUNNING' then $7 else started_at end,
                stopped_at = case when $2 in ('STOPPED', 'FAILED') then $7 else stopped_at end,
                running_workers = case when $2 in ('STOPPED', 'FAILED') then 0 else running_workers end,
                tls_key = case when $2 in ('STOPPED', 'FAILED') then null else tls_key end
            where name = $1 and state = any($3)
            returning {Columns}
            """,
            connection,
            transaction);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = to.ToWireName() });
        command.Parameters.Add(new() { Value = ClusterStateMachine.SourcesOf(to).Select(s => s.ToWireName()).ToArray() });
        command.Parameters.Add(new() { Value = (object?)details.SchedulerAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)details.DashboardAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)details.FailureReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = now });
        var updated = (await ReadAsync(command, cancellationToken)).SingleOrDefault();
        if (updated is null)
        {
            return null;
        }

        await AppendEventAsync(transaction, name, to, to.ToWireName().ToLowerInvariant(), details.Message ?? details.FailureReason, cancellationToken);
        await events.EnqueueTransitionAsync(transaction, updated, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        changes.Notify(name);
        if (to == ClusterState.Running)
        {
            PlatformTelemetry.ClusterStartDuration.Record((now - updated.CreatedAt).TotalSeconds);
        }

        return updated;
    }

    /// <summary>Sets the requested worker count (and adaptive bounds) of a RUNNING cluster; publishes <c>ClusterScaled</c> when the count changes.</summary>
    public async Task<ClusterRecord?> SetRequestedWorkersAsync(NpgsqlTransaction transaction, string name, int count, AdaptiveScaling adaptive, string? message, CancellationToken cancellationToken)
    {
        int previous;
        await using (var read = new NpgsqlCommand("select requested_workers from clusters where name = $1 and state = 'RUNNING' for update", transaction.Connection, transaction))
        {
            read.Parameters.Add(new() { Value = name });
            if (await read.ExecuteScalarAsync(cancellationToken) is not int current)
            {
                return null;
            }

            previous = current;
        }

        await using var command = new NpgsqlCommand(
            $"""
            update clusters set requested_workers = $2, adaptive_active = $3, adaptive_minimum = $4, adaptive_maximum = $5
            where name = $1 returning {Columns}
            """,
            transaction.Connection,
            transaction);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = count });
        command.Parameters.Add(new() { Value = adaptive.Active });
        command.Parameters.Add(new() { Value = adaptive.Minimum });
        command.Parameters.Add(new() { Value = adaptive.Maximum });
        var updated = (await ReadAsync(command, cancellationToken)).Single();
        if (previous != count)
        {
            await AppendEventAsync(transaction, name, updated.State, "scaled", message ?? $"requested workers {previous} → {count}", cancellationToken);
            await events.EnqueueScaledAsync(transaction, updated, time.GetUtcNow(), cancellationToken);
        }

        return updated;
    }

    public async Task UpdateRunningWorkersAsync(string name, int running, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("update clusters set running_workers = $2 where name = $1 and state = 'RUNNING' and running_workers <> $2");
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = running });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A timeline entry that is not a state change (a worker failed, a limit stopped the cluster…).</summary>
    public async Task AppendEventAsync(string name, string kind, string message, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var state = await GetStateAsync(transaction, name, cancellationToken);
        if (state is null)
        {
            return;
        }

        await AppendEventAsync(transaction, name, state.Value, kind, message, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes clusters that finished (STOPPED or FAILED) before <paramref name="finishedBefore"/>, with their timelines;
    /// returns their names so their logs can go too.
    /// </summary>
    public async Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "delete from clusters where state in ('STOPPED', 'FAILED') and coalesce(stopped_at, created_at) < $1 returning name");
        command.Parameters.Add(new() { Value = finishedBefore });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Seals the keys of active clusters stored in clear before keys were sealed; returns how many.</summary>
    public async Task<int> SealClearKeysAsync(CancellationToken cancellationToken)
    {
        var clear = new List<(string Name, string Key)>();
        await using (var select = database.CreateCommand("select name, tls_key from clusters where tls_key is not null and tls_key not like 'sealed:%'"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                clear.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (name, key) in clear)
        {
            // Only if still the clear value read above: a concurrent stop may have erased it meanwhile.
            await using var update = database.CreateCommand("update clusters set tls_key = $2 where name = $1 and tls_key = $3");
            update.Parameters.Add(new() { Value = name });
            update.Parameters.Add(new() { Value = sealer.Seal(key, TlsKeyPurpose) });
            update.Parameters.Add(new() { Value = key });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        return clear.Count;
    }

    private static async Task<ClusterState?> GetStateAsync(NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select state from clusters where name = $1", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) is string state ? ClusterStateNames.Parse(state) : null;
    }

    private static async Task AppendEventAsync(NpgsqlTransaction transaction, string name, ClusterState state, string kind, string? message, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("insert into cluster_events (cluster_name, state, kind, message) values ($1, $2, $3, $4)", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = state.ToWireName() });
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = (object?)message ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A key written before sealing existed is read as it is until SealClearKeysAsync reaches it; a finished cluster has none.
    private string UnsealKey(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? "" : reader.GetString(ordinal) is var stored && SecretSealer.IsSealed(stored) ? sealer.Unseal(stored, TlsKeyPurpose) : stored;

    private async Task<IReadOnlyList<ClusterRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var clusters = new List<ClusterRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            clusters.Add(new ClusterRecord
            {
                Name = reader.GetString(0),
                Owner = reader.GetString(1),
                Groups = reader.GetFieldValue<string[]>(2),
                State = ClusterStateNames.Parse(reader.GetString(3)),
                OptionsJson = reader.GetString(4),
                Resources = JsonSerializer.Deserialize<WorkerResources>(reader.GetString(5), Json)!,
                MaxWorkers = reader.GetInt32(6),
                RequestedWorkers = reader.GetInt32(7),
                RunningWorkers = reader.GetInt32(8),
                Adaptive = new AdaptiveScaling(reader.GetBoolean(9), reader.GetInt32(10), reader.GetInt32(11)),
                SchedulerAddress = reader.IsDBNull(12) ? null : reader.GetString(12),
                DashboardAddress = reader.IsDBNull(13) ? null : reader.GetString(13),
                TlsCert = reader.GetString(14),
                TlsKey = UnsealKey(reader, 15),
                FailureReason = reader.IsDBNull(16) ? null : reader.GetString(16),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(17),
                StartedAt = reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
                StoppedAt = reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19),
                Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(20), Json)!,
                Annotations = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(21), Json)!,
            });
        }

        return clusters;
    }
}

/// <summary>What a transition records besides the new state.</summary>
public sealed record TransitionDetails(string? Message = null)
{
    public string? SchedulerAddress { get; init; }
    public string? DashboardAddress { get; init; }
    public string? FailureReason { get; init; }
}
