using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Clusters.Model;

/// <summary>
/// One user-settable cluster option, with dask-gateway's six field types. <see cref="Spec"/> is exactly what
/// dask-gateway's client reconstructs its field from (<c>Field._from_spec</c>): any extra key there makes it raise.
/// </summary>
public abstract class OptionField(string field, string? label, string? target)
{
    public string Field { get; } = field;
    public string Label { get; } = string.IsNullOrWhiteSpace(label) ? field : label;

    /// <summary>What the value configures (a worker resource, an environment variable…); defaults to the field name.</summary>
    public string Target { get; } = string.IsNullOrWhiteSpace(target) ? field : target;

    public abstract JsonNode? Default { get; }

    public abstract JsonObject Spec();

    /// <summary>Checks a requested value and returns its normalised form, or throws <see cref="OptionValidationException"/>.</summary>
    public abstract JsonNode? Validate(JsonNode? value);

    protected OptionValidationException Invalid(string message) => new(Field, message);

    protected static string Show(JsonNode? value) => value is null ? "null" : value.ToJsonString();

    protected static string Number(double value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    // A JsonValue built from a CLR long will not hand out a double (and vice versa), so numbers are read from their JSON text.
    public static bool TryReadInteger(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue number && number.GetValueKind() == JsonValueKind.Number
            && long.TryParse(number.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryReadNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue number && number.GetValueKind() == JsonValueKind.Number
            && double.TryParse(number.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}

public sealed class IntegerOptionField : OptionField
{
    private readonly long defaultValue;

    public IntegerOptionField(string field, string? label, string? target, long defaultValue, long? min, long? max)
        : base(field, label, target)
    {
        Min = min;
        Max = max;
        this.defaultValue = defaultValue;
        Validate(JsonValue.Create(defaultValue));
    }

    public long? Min { get; }
    public long? Max { get; }
    public override JsonNode? Default => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "int", ["min"] = Min, ["max"] = Max };

    public override JsonNode? Validate(JsonNode? value)
    {
        if (!TryReadInteger(value, out var x))
        {
            throw Invalid($"{Field} must be an integer, got {Show(value)}");
        }

        if (Min is { } min && x < min)
        {
            throw Invalid($"{Field} must be >= {min}, got {x}");
        }

        if (Max is { } max && x > max)
        {
            throw Invalid($"{Field} must be <= {max}, got {x}");
        }

        return JsonValue.Create(x);
    }
}

public sealed class FloatOptionField : OptionField
{
    private readonly double defaultValue;

    public FloatOptionField(string field, string? label, string? target, double defaultValue, double? min, double? max)
        : base(field, label, target)
    {
        Min = min;
        Max = max;
        this.defaultValue = defaultValue;
        Validate(JsonValue.Create(defaultValue));
    }

    public double? Min { get; }
    public double? Max { get; }
    public override JsonNode? Default => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "float", ["min"] = Min, ["max"] = Max };

    public override JsonNode? Validate(JsonNode? value)
    {
        // Like dask-gateway, an integer is a valid float.
        if (!TryReadNumber(value, out var x))
        {
            throw Invalid($"{Field} must be a float, got {Show(value)}");
        }

        if (Min is { } min && x < min)
        {
            throw Invalid($"{Field} must be >= {Number(min)}, got {Number(x)}");
        }

        if (Max is { } max && x > max)
        {
            throw Invalid($"{Field} must be <= {Number(max)}, got {Number(x)}");
        }

        return JsonValue.Create(x);
    }
}

public sealed class StringOptionField : OptionField
{
    private readonly string defaultValue;

    public StringOptionField(string field, string? label, string? target, string defaultValue)
        : base(field, label, target)
    {
        this.defaultValue = defaultValue;
    }

    public override JsonNode? Default => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "string" };

    public override JsonNode? Validate(JsonNode? value) =>
        value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? JsonValue.Create(text.GetValue<string>())
            : throw Invalid($"{Field} must be a string, got {Show(value)}");
}

public sealed class BoolOptionField : OptionField
{
    private readonly bool defaultValue;

    public BoolOptionField(string field, string? label, string? target, bool defaultValue)
        : base(field, label, target)
    {
        this.defaultValue = defaultValue;
    }

    public override JsonNode? Default => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "bool" };

    public override JsonNode? Validate(JsonNode? value) =>
        value is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? JsonValue.Create(flag.GetValue<bool>())
            : throw Invalid($"{Field} must be a bool, got {Show(value)}");
}

public sealed class SelectOptionField : OptionField
{
    private readonly string defaultValue;

    public SelectOptionField(string field, string? label, string? target, IReadOnlyList<string> options, string? defaultValue)
        : base(field, label, target)
    {
        if (options.Count == 0)
        {
            throw new InvalidOperationException($"Cluster option '{field}' is a select with no options.");
        }

        Options = options;
        this.defaultValue = defaultValue ?? options[0];
        Validate(JsonValue.Create(this.defaultValue));
    }

    public IReadOnlyList<string> Options { get; }
    public override JsonNode? Default => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "select", ["options"] = new JsonArray([.. Options.Select(o => JsonValue.Create(o))]) };

    public override JsonNode? Validate(JsonNode? value)
    {
        if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
        {
            throw Invalid($"{Field} must be a string, got {Show(value)}");
        }

        var choice = text.GetValue<string>();
        return Options.Contains(choice, StringComparer.Ordinal)
            ? JsonValue.Create(choice)
            : throw Invalid($"'{choice}' is not a valid option for {Field} (choose one of {string.Join(", ", Options)})");
    }
}

public sealed class MappingOptionField : OptionField
{
    private readonly JsonObject defaultValue;

    public MappingOptionField(string field, string? label, string? target, JsonObject? defaultValue)
        : base(field, label, target)
    {
        this.defaultValue = defaultValue ?? [];
    }

    // A copy each time: callers may add to the returned mapping.
    public override JsonNode? Default => defaultValue.DeepClone();

    public override JsonObject Spec() => new() { ["type"] = "mapping" };

    public override JsonNode? Validate(JsonNode? value) =>
        value is JsonObject mapping ? mapping.DeepClone() : throw Invalid($"{Field} must be a mapping, got {Show(value)}");
}

/// <summary>A requested option the service refuses (HTTP 422); the message names the field.</summary>
public sealed class OptionValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
