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

    public abstract JsonNode? DefaultValue { get; }

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

    /// <summary>
    /// A JSON string's text, or an <see cref="OptionValidationException"/>: NUL (which neither PostgreSQL nor a
    /// process environment can hold) and lone surrogates (not text) are refused, as is text over <paramref name="maxLength"/>.
    /// </summary>
    protected string ReadText(JsonValue value, string what, int maxLength)
    {
        string text;
        try
        {
            text = value.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            throw Invalid($"{what} is not valid text (it holds a lone surrogate)");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"{what} must not contain NUL characters");
        }

        return text.Length <= maxLength ? text : throw Invalid($"{what} is longer than the limit of {maxLength} characters");
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
    public override JsonNode? DefaultValue => JsonValue.Create(defaultValue);

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
    public override JsonNode? DefaultValue => JsonValue.Create(defaultValue);

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
    /// <summary>A description is a line or a paragraph; a megabyte of it is an attack on the database and the listings.</summary>
    public const int DefaultMaxLength = 4096;

    private readonly string defaultValue;

    public StringOptionField(string field, string? label, string? target, string defaultValue, int? maxLength = null)
        : base(field, label, target)
    {
        this.defaultValue = defaultValue;
        MaxLength = maxLength ?? DefaultMaxLength;
    }

    public int MaxLength { get; }

    public override JsonNode? DefaultValue => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "string" };

    public override JsonNode? Validate(JsonNode? value) =>
        value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? JsonValue.Create(ReadText(text, Field, MaxLength))
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

    public override JsonNode? DefaultValue => JsonValue.Create(defaultValue);

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
    public override JsonNode? DefaultValue => JsonValue.Create(defaultValue);

    public override JsonObject Spec() => new() { ["type"] = "select", ["options"] = new JsonArray([.. Options.Select(o => JsonValue.Create(o))]) };

    public override JsonNode? Validate(JsonNode? value)
    {
        if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
        {
            throw Invalid($"{Field} must be a string, got {Show(value)}");
        }

        var choice = ReadText(text, Field, StringOptionField.DefaultMaxLength);
        return Options.Contains(choice, StringComparer.Ordinal)
            ? JsonValue.Create(choice)
            : throw Invalid($"'{choice}' is not a valid option for {Field} (choose one of {string.Join(", ", Options)})");
    }
}

/// <summary>
/// A mapping, bounded: an environment becomes part of each process's argument block, which Linux caps at 128 KiB per
/// string and a few MB in all ("Argument list too long"), so limits refuse at the API what would fail the cluster later.
/// </summary>
public sealed class MappingOptionField : OptionField
{
    public const int DefaultMaxEntries = 100;
    public const int DefaultMaxTextLength = 32_768;
    public const int DefaultMaxTotalLength = 131_072;

    private readonly JsonObject defaultValue;

    public MappingOptionField(string field, string? label, string? target, JsonObject? defaultValue, int? maxEntries = null, int? maxTextLength = null, int? maxTotalLength = null)
        : base(field, label, target)
    {
        this.defaultValue = defaultValue ?? [];
        MaxEntries = maxEntries ?? DefaultMaxEntries;
        MaxTextLength = maxTextLength ?? DefaultMaxTextLength;
        MaxTotalLength = maxTotalLength ?? DefaultMaxTotalLength;
    }

    /// <summary>Most keys in the mapping.</summary>
    public int MaxEntries { get; }

    /// <summary>Longest key or string value, in characters.</summary>
    public int MaxTextLength { get; }

    /// <summary>Most characters of keys and values together.</summary>
    public int MaxTotalLength { get; }

    // A copy each time: callers may add to the returned mapping.
    public override JsonNode? DefaultValue => defaultValue.DeepClone();

    public override JsonObject Spec() => new() { ["type"] = "mapping" };

    public override JsonNode? Validate(JsonNode? value)
    {
        if (value is not JsonObject mapping)
        {
            throw Invalid($"{Field} must be a mapping, got {Show(value)}");
        }

        if (mapping.Count > MaxEntries)
        {
            throw Invalid($"{Field} has {mapping.Count} entries, more than the limit of {MaxEntries}");
        }

        var total = 0L;
        foreach (var (key, entry) in mapping)
        {
            total += ReadText(JsonValue.Create(key), $"{Field}: a key", MaxTextLength).Length + TextLength(entry, $"{Field}: the value of '{key}'");
        }

        return total <= MaxTotalLength
            ? mapping.DeepClone()
            : throw Invalid($"{Field} holds {total} characters, more than the limit of {MaxTotalLength}");
    }

    // Every string anywhere in a value is checked; numbers and the like count as their JSON text.
    private long TextLength(JsonNode? node, string what) => node switch
    {
        null => 4,
        JsonObject nested => nested.Sum(p => ReadText(JsonValue.Create(p.Key), what, MaxTextLength).Length + TextLength(p.Value, what)),
        JsonArray items => items.Sum(i => TextLength(i, what)),
        JsonValue text when text.GetValueKind() == JsonValueKind.String => ReadText(text, what, MaxTextLength).Length,
        _ => node.ToJsonString().Length,
    };
}

/// <summary>A requested option the service refuses (HTTP 422); the message names the field.</summary>
public sealed class OptionValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
