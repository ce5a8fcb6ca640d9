using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Contracts.Plugins;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Plugins.Infrastructure;

/// <summary>A run to create: one handler of one plugin for one cluster event (or timer tick).</summary>
public sealed record NewHandlerRun(
    string Plugin,
    string Handler,
    string ClusterName,
    string Trigger,
    string? FromPhase,
    string Phase,
    string Owner,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Details,
    Guid? MessageId,
    string? TraceParent);

/// <summary>A run a worker claimed: <see cref="Attempt"/> is the attempt now starting (1 for the first).</summary>
public sealed record ClaimedHandlerRun(
    long Id,
    string Plugin,
    string Handler,
    string ClusterName,
    string Trigger,
    string? FromPhase,
    string Phase,
    string Owner,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Details,
    int Attempt,
    DateTimeOffset CreatedAt,
    string? TraceParent);

/// <summary>How an attempt ended, and what happens to the run.</summary>
public sealed record AttemptResult(string Outcome, string? Error, DateTimeOffset? RetryAt, IReadOnlyDictionary<string, string> Annotations);

/// <summary>A run as the API shows it.</summary>
public sealed record HandlerRunView(
    long Id,
    string Plugin,
    string Handler,
    string Cluster,
    string Trigger,
    string State,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationMs,
    string? Error,
    IReadOnlyDictionary<string, string>? Annotations,
    IReadOnlyList<HandlerAttemptView> AttemptLog);

public sealed record HandlerAttemptView(int Attempt, DateTimeOffset StartedAt, double DurationMs, string Outcome, string? Error);

/// <summary>
/// Handler runs in <c>pluginsdb</c>: a durable queue (pending → running → succeeded/failed, retries back to pending
/// with a due time) and the record of every attempt. Enqueueing wakes the dispatchers with <c>pg_notify</c> on commit.
/// </summary>
public sealed class HandlerRunStore(NpgsqlDataSource database, IntegrationEventOutbox outbox, TimeProvider time)
{
    public const string NotificationChannel = "plugin_runs";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates the runs in the caller's transaction; an event already handled (same message, plugin, handler) adds nothing.</summary>
    public async Task<int> EnqueueAsync(NpgsqlTransaction transaction, IReadOnlyList<NewHandlerRun> runs, CancellationToken cancellationToken)
    {
        if (runs.Count == 0)
        {
            return 0;
        }

        var created = 0;
        foreach (var run in runs)
        {
            await using var insert = new NpgsqlCommand(
                """
                insert into handler_runs (plugin, handler, cluster_name, trigger, from_phase, phase, owner, labels, details, message_id, trace_parent)
                select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
                where $10::uuid is not null or not exists (
                    select 1 from handler_runs where plugin = $1 and handler = $2 and cluster_name = $3 and trigger = $4 and state in ('pending', 'running'))
                on conflict (message_id, plugin, handler) do nothing
                """,
                transaction.Connection,
                transaction);
            insert.Parameters.Add(new() { Value = run.Plugin });
            insert.Parameters.Add(new() { Value = run.Handler });
            insert.Parameters.Add(new() { Value = run.ClusterName });
            insert.Parameters.Add(new() { Value = run.Trigger });
            insert.Parameters.Add(new() { Value = (object?)run.FromPhase ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = run.Phase });
            insert.Parameters.Add(new() { Value = run.Owner });
            insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(run.Labels, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(run.Details, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new() { Value = (object?)run.MessageId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new() { Value = (object?)run.TraceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            created += await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (created > 0)
        {
            await using var notify = new NpgsqlCommand($"select pg_notify('{NotificationChannel}', '')", transaction.Connection, transaction);
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        return created;
    }

    /// <summary>Claims up to <paramref name="limit"/> due runs of <paramref name="plugin"/>, oldest first, marking them running.</summary>
    public async Task<IReadOnlyList<ClaimedHandlerRun>> ClaimAsync(string plugin, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            update handler_runs set state = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
            where id in (
                select id from handler_runs where state = 'pending' and plugin = $1 and due_at <= now()
                order by due_at, id for update skip locked limit $2)
            returning id, plugin, handler, cluster_name, trigger, from_phase, phase, owner, labels::text, details::text, attempts, created_at, trace_parent
            """);
        command.Parameters.Add(new() { Value = plugin });
        command.Parameters.Add(new() { Value = limit });
        var runs = new List<ClaimedHandlerRun>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new ClaimedHandlerRun(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6),
                reader.GetString(7),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(8), Json)!,
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(9), Json)!,
                reader.GetInt32(10),
                reader.GetFieldValue<DateTimeOffset>(11),
                reader.IsDBNull(12) ? null : reader.GetString(12)));
        }

        return runs.OrderBy(r => r.Id).ToList();
    }

    /// <summary>
    /// Records an attempt and moves the run on: back to pending at <see cref="AttemptResult.RetryAt"/>, or finished.
    /// A success with annotations publishes <see cref="ClusterAnnotated"/> in the same transaction.
    /// </summary>
    public async Task CompleteAttemptAsync(ClaimedHandlerRun run, DateTimeOffset startedAt, TimeSpan duration, AttemptResult result, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var finalState = result.RetryAt is not null ? "pending" : result.Outcome == "succeeded" ? "succeeded" : "failed";
        await using var batch = new NpgsqlBatch(connection, transaction);
        var attempt = new NpgsqlBatchCommand("insert into handler_attempts (run_id, attempt, started_at, duration_ms, outcome, error) values ($1, $2, $3, $4, $5, $6) on conflict do nothing");
        attempt.Parameters.Add(new() { Value = run.Id });
        attempt.Parameters.Add(new() { Value = run.Attempt });
        attempt.Parameters.Add(new() { Value = startedAt });
        attempt.Parameters.Add(new() { Value = duration.TotalMilliseconds });
        attempt.Parameters.Add(new() { Value = result.Outcome });
        attempt.Parameters.Add(new() { Value = (object?)result.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(attempt);
        var update = new NpgsqlBatchCommand(
            """
            update handler_runs set state = $2, due_at = coalesce($3, due_at), error = $4, duration_ms = $5,
                   finished_at = case when $2 in ('succeeded', 'failed') then now() end, annotations = $6
            where id = $1
            """);
        update.Parameters.Add(new() { Value = run.Id });
        update.Parameters.Add(new() { Value = finalState });
        update.Parameters.Add(new() { Value = (object?)result.RetryAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new() { Value = (object?)result.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new() { Value = duration.TotalMilliseconds });
        update.Parameters.Add(new()
        {
            Value = result.Annotations.Count > 0 ? JsonSerializer.Serialize(result.Annotations, Json) : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        batch.BatchCommands.Add(update);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (finalState == "succeeded" && result.Annotations.Count > 0)
        {
            await outbox.EnqueueAsync(transaction, new ClusterAnnotated(run.ClusterName, run.Plugin, result.Annotations, time.GetUtcNow()), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Runs left running by a process that stopped mid-run go back to pending (single Plugins replica).</summary>
    public async Task<int> ResetInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("update handler_runs set state = 'pending', attempts = greatest(attempts - 1, 0) where state = 'running'");
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<HandlerRunView>> RecentAsync(string plugin, string? cluster, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            select r.id, r.plugin, r.handler, r.cluster_name, r.trigger, r.state, r.attempts, r.created_at, r.started_at, r.finished_at,
                   r.duration_ms, r.error, r.annotations::text,
                   coalesce((select json_agg(json_build_object('attempt', a.attempt, 'startedAt', a.started_at, 'durationMs', a.duration_ms,
                                                               'outcome', a.outcome, 'error', a.error) order by a.attempt)
                             from handler_attempts a where a.run_id = r.id), '[]')::text
            from handler_runs r
            where r.plugin = $1 and ($2::text is null or r.cluster_name = $2)
            order by r.id desc limit $3
            """);
        command.Parameters.Add(new() { Value = plugin });
        command.Parameters.Add(new() { Value = (object?)cluster ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var runs = new List<HandlerRunView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new HandlerRunView(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetInt32(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetDouble(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12), Json),
                JsonSerializer.Deserialize<List<HandlerAttemptView>>(reader.GetString(13), Json)!));
        }

        return runs;
    }
}
