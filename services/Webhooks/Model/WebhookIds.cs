namespace Platform.Webhooks.Model;

/// <summary>
/// The <c>webhook-id</c> of a message: <c>msg_</c> + 32 hex digits, no dots (the signed content is <c>id.timestamp.body</c>).
/// Derived from the integration event's id, so every endpoint and every attempt of one event see the same id.
/// </summary>
public static class WebhookIds
{
    public static string ForEvent(Guid eventId) => "msg_" + eventId.ToString("N");

    public static string New() => ForEvent(Guid.CreateVersion7());

    public static bool IsWellFormed(string id) => id.Length == 36 && id.StartsWith("msg_", StringComparison.Ordinal) && id[4..].All(char.IsAsciiHexDigitLower);
}
