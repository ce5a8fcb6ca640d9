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
        var fromPhase = await SwapPhaseAsync(transaction, facts, cancellationToken);
        var traceParent = Activity.Current?.Id;
        var matched = host.Active
            .SelectMany(plugin => plugin.Registrations.Handlers
                .Where(handler => HandlerMatcher.Matches(handler, facts, fromPhase))
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

    private static async Task<ClusterPhase?> SwapPhaseAsync(NpgsqlTransaction transaction, ClusterEventFacts facts, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            with previous as (select phase from cluster_phases where name = $1 for update)
            insert into cluster_phases as c (name, owner, labels, phase, updated_at) values ($1, $2, $3, $4, now())
            on conflict (name) do update set owner = excluded.owner, labels = excluded.labels, phase = excluded.phase, updated_at = excluded.updated_at
            returning (select phase from previous)
            """,
            transaction.Connection,
            transaction);
        command.Parameters.Add(new() { Value = facts.ClusterName });
        command.Parameters.Add(new() { Value = facts.Owner });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(facts.Labels, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = PhaseName(facts.Phase) });
        var previous = await command.ExecuteScalarAsync(cancellationToken);
        return previous is string name ? ParsePhase(name) : null;
    }
}
