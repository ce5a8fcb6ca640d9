namespace Platform.Webhooks.Model;

/// <summary>What an event changes in a cluster's snapshot; null leaves a field as it is.</summary>
public sealed record ClusterChange(string Name, string Owner, string? Status, int? Workers = null, string? OptionsJson = null, string? DashboardAddress = null, string? FailureReason = null);

/// <summary>One cluster event to fan out: its id (the webhook-id derives from it), type, time and change.</summary>
public sealed record ClusterEvent(Guid EventId, string EventType, DateTimeOffset At, ClusterChange Change);

/// <summary>What the Webhooks service knows of a cluster, built up from its events.</summary>
public sealed record ClusterSnapshot(string Name, string Owner, string Status, int Workers, string OptionsJson, string? DashboardAddress, string? FailureReason)
{
    /// <summary>A cluster first heard of: pending, no workers, no options, until its change says otherwise.</summary>
    public static ClusterSnapshot New(ClusterChange change) => new(change.Name, change.Owner, "PENDING", 0, "{}", null, null);

    /// <summary>The snapshot after <paramref name="change"/>: every field the change carries replaces the one before.</summary>
    public ClusterSnapshot Apply(ClusterChange change) => new(
        Name,
        change.Owner,
        change.Status ?? Status,
        change.Workers ?? Workers,
        change.OptionsJson ?? OptionsJson,
        change.DashboardAddress ?? DashboardAddress,
        change.FailureReason ?? FailureReason);
}
