using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Apis;

/// <summary><c>POST /api/webhooks/endpoints</c>. <see cref="Events"/> omitted: every event type the caller may receive.</summary>
public sealed record CreateEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description);

/// <summary>An endpoint as its owner sees it; <see cref="Secret"/> only in the answer to its creation.</summary>
public sealed record EndpointView(
    Guid Id,
    string Url,
    string Description,
    IReadOnlyList<string>? Events,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static EndpointView From(WebhookEndpoint endpoint, string? secret = null) => new(
        endpoint.Id, endpoint.Url, endpoint.Description, endpoint.EventTypes, endpoint.Enabled, endpoint.DisabledReason,
        endpoint.FailingSince, endpoint.CreatedAt, endpoint.UpdatedAt, secret);
}

public sealed record SecretView(string Secret);

public sealed record EventTypeView(string Name, string Description, bool AdminOnly);

public sealed record MessageView(
    string Id,
    string EventType,
    string Status,
    int Attempts,
    DateTimeOffset Created,
    DateTimeOffset? NextAttempt,
    DateTimeOffset? LastAttempt,
    int? LastStatusCode,
    string? LastError,
    JsonElement Payload)
{
    public static MessageView From(WebhookMessage message)
    {
        using var payload = JsonDocument.Parse(message.Payload);
        return new MessageView(
            message.WebhookId, message.EventType, message.Status, message.Attempts, message.CreatedAt,
            message.Status == MessageStatus.Pending ? message.NextAttemptAt : null,
            message.LastAttemptAt, message.LastStatus, message.LastError, payload.RootElement.Clone());
    }
}

/// <summary>A page of the delivery log, newest first; pass <see cref="Next"/> as <c>?before=</c> for the next page.</summary>
public sealed record MessagePage(IReadOnlyList<MessageView> Data, string? Next);

/// <summary>One attempt: when, the status code (null: no response), latency, and the first 1 KB of the response.</summary>
public sealed record AttemptView(DateTimeOffset Timestamp, int? StatusCode, int LatencyMs, string? Response, string? Error)
{
    public static AttemptView From(WebhookAttempt attempt) =>
        new(attempt.AttemptedAt, attempt.StatusCode, attempt.LatencyMilliseconds, attempt.ResponseBody, attempt.Error);
}

public sealed record QueuedMessage(string Id);

public sealed record RecoverRequest(DateTimeOffset? Since);

public sealed record RecoverResult(int Recovered);
