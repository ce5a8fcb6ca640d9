using Platform.Plugins.Loading;
using Platform.Plugins.Sdk.Handlers;

namespace Platform.Plugins.Handlers;

/// <summary>What the platform learnt from one cluster event, in the terms handlers are registered in.</summary>
public sealed record ClusterEventFacts(
    string ClusterName,
    string Owner,
    IReadOnlyDictionary<string, string> Labels,
    ClusterEvents Event,
    ClusterPhase Phase,
    IReadOnlyDictionary<string, string> Details)
{
    public string Trigger => Event.ToString().ToLowerInvariant();
}

/// <summary>Decides which handlers an event starts. Pure, so the rules are unit-tested apart from the bus.</summary>
public static class HandlerMatcher
{
    /// <param name="fromPhase">The phase the service knew before this event; null when it had not seen the cluster.</param>
    public static bool Matches(HandlerRegistration handler, ClusterEventFacts facts, ClusterPhase? fromPhase)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(facts);
        if (handler.IsTimer || !handler.Filter.Matches(facts.Owner, facts.Labels))
        {
            return false;
        }

        if (handler.IsTransition)
        {
            return facts.Event != ClusterEvents.Scaled
                && fromPhase != facts.Phase
                && handler.ToPhase == facts.Phase
                && (handler.FromPhase is null || handler.FromPhase == fromPhase);
        }

        return (handler.Events & facts.Event) != 0;
    }

    /// <summary>The phase a cluster is in after the event (a scale leaves it RUNNING).</summary>
    public static ClusterPhase PhaseAfter(ClusterEvents clusterEvent) => clusterEvent switch
    {
        ClusterEvents.Created => ClusterPhase.Pending,
        ClusterEvents.Running or ClusterEvents.Scaled => ClusterPhase.Running,
        ClusterEvents.Stopping => ClusterPhase.Stopping,
        ClusterEvents.Stopped => ClusterPhase.Stopped,
        ClusterEvents.Failed => ClusterPhase.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(clusterEvent), clusterEvent, "One event at a time."),
    };
}
