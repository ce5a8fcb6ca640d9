namespace Platform.Contracts.Plugins;

/// <summary>
/// Clusters → Plugins (<c>POST /internal/plugins/validate</c>), before a cluster is created, scaled or made adaptive:
/// may the caller do this? <paramref name="Operation"/> is <c>create</c>, <c>scale</c> or <c>adapt</c>;
/// <paramref name="ClusterName"/> is null for a create; <paramref name="Workers"/> is a scale's count or an adapt's maximum.
/// </summary>
public sealed record ClusterValidationRequest(
    string Operation,
    string? ClusterName,
    string Owner,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Options,
    int? Workers);

/// <summary>The validators' verdict; <paramref name="Message"/> is what the user sees (422) when refused.</summary>
public sealed record ClusterValidationResponse(bool Allowed, string? Message, string? Plugin);
