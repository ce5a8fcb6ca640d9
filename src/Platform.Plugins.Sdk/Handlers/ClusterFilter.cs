namespace Platform.Plugins.Sdk.Handlers;

/// <summary>
/// Which clusters a handler sees, by labels (kopf's <c>labels={"a": "b", "c": kopf.PRESENT, "d": kopf.ABSENT}</c>)
/// and owner. Every condition must hold. Immutable: each method returns a new filter.
/// </summary>
public sealed record ClusterFilter
{
    public static ClusterFilter Any { get; } = new();

    public IReadOnlyDictionary<string, string> LabelsEqual { get; private init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> LabelsPresent { get; private init; } = [];

    public IReadOnlyList<string> LabelsAbsent { get; private init; } = [];

    public string? Owner { get; private init; }

    public ClusterFilter WithLabel(string key, string value) =>
        this with { LabelsEqual = new Dictionary<string, string>(LabelsEqual) { [key] = value } };

    public ClusterFilter WithLabelPresent(string key) => this with { LabelsPresent = [.. LabelsPresent, key] };

    public ClusterFilter WithLabelAbsent(string key) => this with { LabelsAbsent = [.. LabelsAbsent, key] };

    public ClusterFilter WithOwner(string owner) => this with { Owner = owner };

    public bool Matches(string owner, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return (Owner is null || string.Equals(Owner, owner, StringComparison.Ordinal))
            && LabelsEqual.All(l => labels.TryGetValue(l.Key, out var value) && string.Equals(value, l.Value, StringComparison.Ordinal))
            && LabelsPresent.All(labels.ContainsKey)
            && !LabelsAbsent.Any(labels.ContainsKey);
    }
}
