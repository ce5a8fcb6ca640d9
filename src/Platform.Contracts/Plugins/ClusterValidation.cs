namespace Platform.Contracts.Plugins;

/// <summary>
/// Clusters → Plugins (<c>POST /internal/plugins/validate</c>), before a cluster is created or scaled: may the
/// caller do this? <paramref name="Operation"/> is <c>create</c> or <c>scale</c>; <paramref name="ClusterName"/>
/// is null for a create.
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
