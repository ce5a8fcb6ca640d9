using System.Security.Cryptography;
using System.Text;
using Platform.ServiceDefaults.Secrets;

namespace Platform.Auth.Infrastructure;

/// <summary>
/// Private signing keys are stored sealed with the platform's <see cref="SecretSealer"/> (<c>Secrets:SealingKey</c>),
/// so a copy of authdb alone cannot mint identities. Rows written by earlier versions are still read — PEM in clear,
/// or <c>aes-256-gcm:</c> under the retired <c>Auth:SigningKeys:ProtectionKey</c> — and resealed at start-up
/// (<see cref="SigningKeyRing.ResealStoredKeysAsync"/>).
/// </summary>
public sealed class SigningKeyProtection
{
    public const string Purpose = "auth:signing-key";
    private const string LegacyMarker = "aes-256-gcm:";
    private readonly SecretSealer sealer;
    private readonly byte[]? legacyKey;

    public SigningKeyProtection(SecretSealer sealer, string? legacyProtectionKey)
    {
        this.sealer = sealer;
        if (string.IsNullOrWhiteSpace(legacyProtectionKey))
        {
            return;
        }

        try
        {
            legacyKey = Convert.FromBase64String(legacyProtectionKey);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Auth:SigningKeys:ProtectionKey must be base64 (32 random bytes).");
        }

        if (legacyKey.Length != 32)
        {
            throw new InvalidOperationException("Auth:SigningKeys:ProtectionKey must be 32 bytes (base64).");
        }
    }

    public string Protect(string privateKeyPem) => sealer.Seal(privateKeyPem, Purpose);

    /// <summary>True when a stored key is in the current form and needs no resealing.</summary>
    public static bool IsCurrent(string stored) => SecretSealer.IsSealed(stored);

    /// <summary>The PEM of a stored key, in any of the forms Auth has written.</summary>
    public string Unprotect(string stored)
    {
        if (SecretSealer.IsSealed(stored))
        {
            return sealer.Unseal(stored, Purpose);
        }

        if (!stored.StartsWith(LegacyMarker, StringComparison.Ordinal))
        {
            return stored;
        }

        if (legacyKey is null)
        {
            throw new InvalidOperationException("Signing keys in authdb are sealed under Auth:SigningKeys:ProtectionKey, which is not configured; set it once so they can be resealed.");
        }

        var sealedKey = Convert.FromBase64String(stored[LegacyMarker.Length..]);
        var plaintext = new byte[sealedKey.Length - 12 - 16];
        using var aes = new AesGcm(legacyKey, 16);
        aes.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(12, plaintext.Length), sealedKey.AsSpan(12 + plaintext.Length), plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }
}
