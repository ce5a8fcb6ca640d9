using System.Security.Cryptography;

namespace Platform.Webhooks.Model;

/// <summary>A symmetric signing secret in Standard Webhooks' serialization: <c>whsec_</c> + base64 of 32 random bytes.</summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    /// <summary>The purpose secrets are sealed under (<see cref="Platform.ServiceDefaults.Secrets.SecretSealer"/>).</summary>
    public const string SealingPurpose = "webhook-secret";

    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The HMAC key: the base64 part decoded.</summary>
    public static byte[] KeyBytes(string secret) =>
        Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
}
