using System.Security.Cryptography;
using System.Text;

namespace Platform.Auth.Infrastructure;

/// <summary>
/// Encrypts private signing keys before they are stored when <c>Auth:SigningKeys:ProtectionKey</c> (32 random bytes,
/// base64) is configured, so a copy of authdb alone cannot mint identities. Without it keys are stored as PEM.
/// </summary>
public sealed class SigningKeyProtection
{
    private const string Marker = "aes-256-gcm:";
    private readonly byte[]? key;

    public SigningKeyProtection(string? protectionKey)
    {
        if (string.IsNullOrWhiteSpace(protectionKey))
        {
            return;
        }

        try
        {
            key = Convert.FromBase64String(protectionKey);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Auth:SigningKeys:ProtectionKey must be base64 (32 random bytes).");
        }

        if (key.Length != 32)
        {
            throw new InvalidOperationException("Auth:SigningKeys:ProtectionKey must be 32 bytes (base64).");
        }
    }

    public bool IsEnabled => key is not null;

    public string Protect(string privateKeyPem)
    {
        if (key is null)
        {
            return privateKeyPem;
        }

        var plaintext = Encoding.UTF8.GetBytes(privateKeyPem);
        var sealedKey = new byte[12 + plaintext.Length + 16];
        var nonce = sealedKey.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, sealedKey.AsSpan(12, plaintext.Length), sealedKey.AsSpan(12 + plaintext.Length));
        return Marker + Convert.ToBase64String(sealedKey);
    }

    /// <summary>The PEM of a stored key; keys stored before protection was turned on are read as they are.</summary>
    public string Unprotect(string stored)
    {
        if (!stored.StartsWith(Marker, StringComparison.Ordinal))
        {
            return stored;
        }

        if (key is null)
        {
            throw new InvalidOperationException("The signing keys in authdb are encrypted, but Auth:SigningKeys:ProtectionKey is not configured.");
        }

        var sealedKey = Convert.FromBase64String(stored[Marker.Length..]);
        var plaintext = new byte[sealedKey.Length - 12 - 16];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(12, plaintext.Length), sealedKey.AsSpan(12 + plaintext.Length), plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }
}
