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

    public string Unseal(string stored) =>
        (sealer ?? throw new InvalidOperationException(MissingKeyMessage)).Unseal(stored, WebhookSecret.SealingPurpose);
}
