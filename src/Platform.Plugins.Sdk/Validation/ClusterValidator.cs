namespace Platform.Plugins.Sdk.Validation;

/// <summary>Decides whether a cluster may be created, scaled or made adaptive. Return <see cref="ValidationVerdict.Allow"/> or a refusal.</summary>
public delegate ValueTask<ValidationVerdict> ClusterValidator(ValidationRequest request, CancellationToken cancellationToken);

public enum ValidationOperation
{
    Create,
    Scale,

    /// <summary>Adaptive scaling turned on (<c>POST …/adapt</c>); the request's workers are the maximum.</summary>
    Adapt,
}

/// <summary>
/// The request being checked. <see cref="ClusterName"/> is null for a create (the name is chosen afterwards).
/// <see cref="Workers"/> is the count asked for by a scale, the maximum of an adapt (null: no maximum), null for a create.
/// </summary>
public sealed record ValidationRequest(
    ValidationOperation Operation,
    string? ClusterName,
    string Owner,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Options,
    int? Workers);

/// <summary>A validator's answer; a refusal's message is shown to the user as the 422 error.</summary>
public sealed record ValidationVerdict(bool Allowed, string? Message)
{
    public static ValidationVerdict Allow { get; } = new(true, null);

    public static ValidationVerdict Refuse(string message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        return new(false, message);
    }
}
