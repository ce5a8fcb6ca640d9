namespace Platform.Webhooks.Model;

/// <summary>An endpoint as stored; the secrets stay sealed until a delivery or its owner needs them.</summary>
public sealed record WebhookEndpoint(
    Guid Id,
    string Owner,
    bool OwnerIsAdmin,
    string Url,
    string Description,
    IReadOnlyList<string>? EventTypes,
    bool Enabled,
    string? DisabledReason,
    string SealedSecret,
    string? SealedPreviousSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset? FailingSince,
    DateTimeOffset? ThrottledUntil,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public bool IsVisibleTo(string user, bool isAdmin) => isAdmin || string.Equals(Owner, user, StringComparison.Ordinal);
}

/// <summary>A message to one endpoint as stored.</summary>
public sealed record WebhookMessage(
    long Seq,
    string WebhookId,
    Guid EndpointId,
    string EventType,
    string Payload,
    string Status,
    int Attempts,
    int RoundAttempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatus,
    string? LastError,
    DateTimeOffset CreatedAt);

public static class MessageStatus
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static bool IsValid(string status) => status is Pending or Succeeded or Failed;
}

/// <summary>One attempt, as recorded.</summary>
public sealed record WebhookAttempt(
    long Id,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    int LatencyMilliseconds,
    string? ResponseBody,
    string? Error);
