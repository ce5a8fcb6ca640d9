using Platform.ServiceDefaults.Secrets;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Infrastructure;

/// <summary>
/// Seals endpoint secrets at rest with the platform's <see cref="SecretSealer"/>. Without <c>Secrets:SealingKey</c> the
/// service still runs, but refuses to create endpoints rather than store a secret in the clear.
/// </summary>
public sealed class EndpointSecrets(SecretSealer? sealer)
{
    public bool IsAvailable => sealer is not null;

    public const string MissingKeyMessage = "Webhook endpoints are unavailable: the operator has not configured Secrets:SealingKey (env Secrets__SealingKey)";

    public string Seal(string secret) =>
        (sealer ?? throw new InvalidOperationException(MissingKeyMessage)).Seal(secret, WebhookSecret.SealingPurpose);

    public const string UnreadableMessage =
        "This endpoint's signing secret was sealed with another sealing key (was the sealing-key parameter changed?) and cannot be read; rotate it (POST .../secret/rotate) for a new one";

    public string Unseal(string stored) =>
        (sealer ?? throw new InvalidOperationException(MissingKeyMessage)).Unseal(stored, WebhookSecret.SealingPurpose);

    /// <summary>The secret, or null when the configured key does not open it (it was sealed under another sealing key).</summary>
    public string? TryUnseal(string stored)
    {
        try
        {
            return Unseal(stored);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
