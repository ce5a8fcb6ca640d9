using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Plugins.Handlers;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Handlers;

namespace Platform.Plugins.IntegrationEvents;

/// <summary>
/// Turns a cluster event into handler runs, inside the consumer's inbox transaction: the cluster's last known phase
/// (for transitions and timers) and one pending run per matching handler commit with the inbox row, so an event that
/// arrived is handled once per handler even if the service stops right after.
/// </summary>
public sealed class ClusterEventIntake(PluginHost host, HandlerRunStore runs)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int> RecordAsync(NpgsqlTransaction transaction, ClusterEventFacts facts, Guid messageId, CancellationToken cancellationToken)
    {
        var (fromPhase, advanced) = await AdvancePhaseAsync(transaction, facts, cancellationToken);
        var traceParent = Activity.Current?.Id;
        var matched = host.Active
            .SelectMany(plugin => plugin.Registrations.Handlers
                .Where(handler => (advanced || !handler.IsTransition) && HandlerMatcher.Matches(handler, facts, fromPhase))
                .Select(handler => new NewHandlerRun(
                    plugin.Name,
                    handler.Name,
                    facts.ClusterName,
                    handler.IsTransition ? "transition" : facts.Trigger,
                    fromPhase is { } from ? PhaseName(from) : null,
                    PhaseName(facts.Phase),
                    facts.Owner,
                    facts.Labels,
                    facts.Details,
                    messageId,
                    traceParent)))
            .ToList();
        return await runs.EnqueueAsync(transaction, matched, cancellationToken);
    }

    public static string PhaseName(ClusterPhase phase) => phase.ToString().ToUpperInvariant();

    public static ClusterPhase ParsePhase(string name) => Enum.Parse<ClusterPhase>(name, ignoreCase: true);

    /// <summary>
    /// Records the cluster's new phase unless it would go backwards: each event type has its own queue, so a late
    /// RUNNING may arrive after STOPPED. Returns the phase known before, and whether this event moved it.
    /// </summary>
    private static async Task<(ClusterPhase? Previous, bool Advanced)> AdvancePhaseAsync(NpgsqlTransaction transaction, ClusterEventFacts facts, CancellationToken cancellationToken)
    {
        var labels = JsonSerializer.Serialize(facts.Labels, Json);
        await using (var insert = new NpgsqlCommand("insert into cluster_phases (name, owner, labels, phase) values ($1, $2, $3, $4) on conflict (name) do nothing", transaction.Connection, transaction))
        {
            insert.Parameters.Add(new() { Value = facts.ClusterName });
            insert.Parameters.Add(new() { Value = facts.Owner });
            insert.Parameters.Add(new() { Value = labels, NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new() { Value = PhaseName(facts.Phase) });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return (null, true);
            }
        }

        ClusterPhase previous;
        await using (var select = new NpgsqlCommand("select phase from cluster_phases where name = $1 for update", transaction.Connection, transaction))
        {
            select.Parameters.Add(new() { Value = facts.ClusterName });
            previous = ParsePhase((string)(await select.ExecuteScalarAsync(cancellationToken))!);
        }

        if (Rank(facts.Phase) < Rank(previous))
        {
            return (previous, false);
        }

        await using var update = new NpgsqlCommand("update cluster_phases set owner = $2, labels = $3, phase = $4, updated_at = now() where name = $1", transaction.Connection, transaction);
        update.Parameters.Add(new() { Value = facts.ClusterName });
        update.Parameters.Add(new() { Value = facts.Owner });
        update.Parameters.Add(new() { Value = labels, NpgsqlDbType = NpgsqlDbType.Jsonb });
        update.Parameters.Add(new() { Value = PhaseName(facts.Phase) });
        await update.ExecuteNonQueryAsync(cancellationToken);
        return (previous, true);
    }

    private static int Rank(ClusterPhase phase) => phase switch
    {
        ClusterPhase.Pending => 0,
        ClusterPhase.Running => 1,
        ClusterPhase.Stopping => 2,
        _ => 3,
    };
}
