using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Platform.Clusters.Model;

/// <summary>
/// Cluster labels, Kubernetes-like: keys are an optional DNS prefix and a name of letters, digits, '-', '_' and '.'
/// (at most 63), values at most 63 such characters (or empty); at most 32 labels.
/// </summary>
public static partial class ClusterLabels
{
    public const int MaxLabels = 32;

    public static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>The labels of a request body's <c>labels</c> mapping, or the problem to answer with 422.</summary>
    public static (IReadOnlyDictionary<string, string>? Labels, string? Problem) Parse(JsonNode? node)
    {
        if (node is null)
        {
            return (None, null);
        }

        if (node is not JsonObject mapping)
        {
            return (null, "labels must be a mapping of strings to strings");
        }

        if (mapping.Count > MaxLabels)
        {
            return (null, $"A cluster has at most {MaxLabels} labels");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping)
        {
            if (!Key().IsMatch(key))
            {
                return (null, $"Label key '{key}' must be an optional DNS prefix and '/', then 1-63 letters, digits, '-', '_' or '.'");
            }

            if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String || !Value().IsMatch(text.GetValue<string>()))
            {
                return (null, $"Label '{key}' must have a string value of at most 63 letters, digits, '-', '_' or '.'");
            }

            labels[key] = text.GetValue<string>();
        }

        return (labels, null);
    }

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex Key();

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")]
    private static partial Regex Value();
}
