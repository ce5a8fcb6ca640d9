using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Platform.Clusters.Model;

/// <summary>
/// The options a user may set when creating a cluster, read from configuration (<c>Clusters:Options</c>), and how
/// each maps onto the cluster: a field's <c>Target</c> names what it configures — <c>worker_cores</c>,
/// <c>worker_memory</c> (GiB), <c>worker_threads</c>, <c>environment</c> (a mapping), <c>idle_timeout</c> and
/// <c>start_timeout</c> (seconds), or <c>env:NAME</c> (one environment variable). Other targets are only recorded.
/// </summary>
public sealed partial class ClusterOptions
{
    public const string EnvironmentTargetPrefix = "env:";
    private static readonly string[] NumericTargets = ["worker_cores", "worker_memory", "worker_threads", "idle_timeout", "start_timeout"];

    public ClusterOptions(IReadOnlyList<OptionField> fields)
    {
        var duplicate = fields.GroupBy(f => f.Field).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Cluster option '{duplicate.Key}' is configured twice.");
        }

        foreach (var field in fields)
        {
            var numeric = field is IntegerOptionField or FloatOptionField;
            if (NumericTargets.Contains(field.Target) && !numeric)
            {
                throw new InvalidOperationException($"Cluster option '{field.Field}' targets {field.Target}, which needs an int or float field.");
            }

            if (field.Target == "worker_threads" && field is not IntegerOptionField)
            {
                throw new InvalidOperationException($"Cluster option '{field.Field}' targets worker_threads, which needs an int field.");
            }

            if (field.Target == "environment" && field is not MappingOptionField)
            {
                throw new InvalidOperationException($"Cluster option '{field.Field}' targets environment, which needs a mapping field.");
            }

            if (field.Target.StartsWith(EnvironmentTargetPrefix, StringComparison.Ordinal) && !EnvironmentName().IsMatch(field.Target[EnvironmentTargetPrefix.Length..]))
            {
                throw new InvalidOperationException($"Cluster option '{field.Field}' targets an invalid environment variable name.");
            }
        }

        Fields = fields;
    }

    public IReadOnlyList<OptionField> Fields { get; }

    /// <summary>
    /// Validates a request the way dask-gateway does: unknown fields are refused, missing ones take their
    /// default. Returns every field's value; throws <see cref="OptionValidationException"/> naming the field.
    /// </summary>
    public JsonObject Validate(JsonObject? requested)
    {
        requested ??= [];
        var unknown = requested.Select(p => p.Key).Where(k => Fields.All(f => f.Field != k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new OptionValidationException(unknown[0], $"Unknown fields [{string.Join(", ", unknown.Select(u => $"'{u}'"))}]");
        }

        var validated = new JsonObject();
        foreach (var field in Fields)
        {
            validated[field.Field] = requested.TryGetPropertyValue(field.Field, out var value) ? field.Validate(value) : field.DefaultValue;
        }

        return validated;
    }

    /// <summary>Maps validated options (from <see cref="Validate"/>) onto worker resources and timeouts.</summary>
    public WorkerResources ToResources(JsonObject validated, WorkerResources defaults)
    {
        var resources = defaults;
        var environment = new Dictionary<string, string>(defaults.Environment, StringComparer.Ordinal);
        var threadsSet = false;
        foreach (var field in Fields)
        {
            var value = validated[field.Field];
            switch (field.Target)
            {
                case "worker_cores":
                    resources = resources with { Cores = Number(value) };
                    break;
                case "worker_memory":
                    resources = resources with { MemoryBytes = (long)(Number(value) * (1L << 30)) };
                    break;
                case "worker_threads":
                    resources = resources with { Threads = checked((int)Number(value)) };
                    threadsSet = true;
                    break;
                case "idle_timeout":
                    resources = resources with { IdleTimeoutSeconds = Number(value) };
                    break;
                case "start_timeout":
                    resources = resources with { StartTimeoutSeconds = Number(value) };
                    break;
                case "environment":
                    foreach (var (name, entry) in value!.AsObject())
                    {
                        environment[ValidEnvironmentName(field, name)] = EnvironmentValue(field, name, entry);
                    }

                    break;
                case var target when target.StartsWith(EnvironmentTargetPrefix, StringComparison.Ordinal):
                    environment[target[EnvironmentTargetPrefix.Length..]] = EnvironmentValue(field, field.Field, value);
                    break;
                default:
                    break;
            }
        }

        if (!threadsSet)
        {
            // One thread per core unless an option says otherwise.
            resources = resources with { Threads = Math.Max(1, (int)Math.Ceiling(resources.Cores)) };
        }

        return resources with { Environment = environment };
    }

    /// <summary>The <c>cluster_options</c> list of <c>GET /api/v1/options</c>.</summary>
    public static ClusterOptions FromConfiguration(IConfigurationSection section)
    {
        var fields = new List<OptionField>();
        foreach (var entry in section.GetChildren())
        {
            var name = entry["Field"] ?? throw new InvalidOperationException($"{entry.Path}: Field is required.");
            var type = (entry["Type"] ?? throw new InvalidOperationException($"{entry.Path}: Type is required.")).ToLowerInvariant();
            var label = entry["Label"];
            var target = entry["Target"];
            var defaultText = entry["Default"];
            fields.Add(type switch
            {
                "int" => new IntegerOptionField(name, label, target, ParseLong(defaultText) ?? 0, ParseLong(entry["Min"]), ParseLong(entry["Max"])),
                "float" => new FloatOptionField(name, label, target, ParseDouble(defaultText) ?? 0, ParseDouble(entry["Min"]), ParseDouble(entry["Max"])),
                "string" => new StringOptionField(name, label, target, defaultText ?? "", ParseInt(entry["MaxLength"])),
                "bool" => new BoolOptionField(name, label, target, defaultText is not null && bool.Parse(defaultText)),
                "select" => new SelectOptionField(name, label, target, [.. entry.GetSection("Options").GetChildren().Select(o => o.Value!)], defaultText),
                "mapping" => new MappingOptionField(
                    name, label, target, ToJson(entry.GetSection("Default")) as JsonObject,
                    ParseInt(entry["MaxEntries"]), ParseInt(entry["MaxTextLength"]), ParseInt(entry["MaxTotalLength"])),
                _ => throw new InvalidOperationException($"{entry.Path}: unknown option type '{type}' (int, float, string, bool, select, mapping)."),
            });
        }

        return new ClusterOptions(fields);
    }

    private static string ValidEnvironmentName(OptionField field, string name) =>
        EnvironmentName().IsMatch(name) && !name.StartsWith("PLATFORM_", StringComparison.Ordinal)
            ? name
            : throw new OptionValidationException(field.Field, $"{field.Field}: '{name}' is not an environment variable name a cluster may set");

    private static string EnvironmentValue(OptionField field, string name, JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => value.ToJsonString(),
        // Dask reads its DASK_* variables with Python literal syntax, where booleans are capitalised.
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => throw new OptionValidationException(field.Field, $"{field.Field}: the value of '{name}' must be a string, number or bool"),
    };

    private static double Number(JsonNode? value) =>
        OptionField.TryReadNumber(value, out var number) ? number : throw new InvalidOperationException("Validated options hold a non-number where a number belongs.");

    private static int? ParseInt(string? text) => string.IsNullOrWhiteSpace(text) ? null : int.Parse(text, CultureInfo.InvariantCulture);

    private static long? ParseLong(string? text) => string.IsNullOrWhiteSpace(text) ? null : long.Parse(text, CultureInfo.InvariantCulture);

    private static double? ParseDouble(string? text) => string.IsNullOrWhiteSpace(text) ? null : double.Parse(text, CultureInfo.InvariantCulture);

    // Configuration flattens JSON into strings; a mapping default is rebuilt from its children.
    private static JsonNode? ToJson(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value is null ? new JsonObject() : JsonValue.Create(section.Value);
        }

        var result = new JsonObject();
        foreach (var child in children)
        {
            result[child.Key] = child.GetChildren().Any() ? ToJson(child) : JsonValue.Create(child.Value);
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();
}
