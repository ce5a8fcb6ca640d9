using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults.Secrets;

/// <summary>
/// Seals secrets before they are stored (AES-256-GCM under <c>Secrets:SealingKey</c>, 32 random bytes in base64), so a
/// copy of a database alone gives away no private key or signing secret. The purpose is bound into the tag as
/// associated data: a value sealed as one kind of secret cannot be unsealed as another.
/// </summary>
public sealed class SecretSealer
{
    public const string ConfigurationKey = "Secrets:SealingKey";
    private const string Marker = "sealed:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] key;

    public SecretSealer(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A sealing key is 32 bytes.", nameof(key));
        }

        this.key = key;
    }

    /// <summary>The sealer for <c>Secrets:SealingKey</c>, or null when none is configured.</summary>
    public static SecretSealer? FromConfiguration(IConfiguration configuration)
    {
        var text = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{ConfigurationKey} must be base64 of 32 random bytes.");
        }

        return key.Length == 32
            ? new SecretSealer(key)
            : throw new InvalidOperationException($"{ConfigurationKey} must be base64 of 32 random bytes (it is {key.Length}).");
    }

    /// <summary>A new random key in the form <c>Secrets:SealingKey</c> takes.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static bool IsSealed(string stored) => stored.StartsWith(Marker, StringComparison.Ordinal);

    public string Seal(string plaintext, string purpose)
    {
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + clear.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, clear, sealedBytes.AsSpan(NonceSize, clear.Length), sealedBytes.AsSpan(NonceSize + clear.Length), Encoding.UTF8.GetBytes(purpose));
        return Marker + Convert.ToBase64String(sealedBytes);
    }

    /// <exception cref="CryptographicException">The value was sealed under another key or purpose, or altered.</exception>
    public string Unseal(string stored, string purpose)
    {
        if (!IsSealed(stored))
        {
            throw new CryptographicException("The value is not sealed.");
        }

        var sealedBytes = Convert.FromBase64String(stored[Marker.Length..]);
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The sealed value is truncated.");
        }

        var clear = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(
            sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, clear.Length),
            sealedBytes.AsSpan(NonceSize + clear.Length), clear, Encoding.UTF8.GetBytes(purpose));
        return Encoding.UTF8.GetString(clear);
    }
}
