using System.Buffers.Text;
using System.Security.Cryptography;

namespace Platform.ServiceDefaults.Identity;

/// <summary>Mints the short-lived assertion that Auth attaches to each request it has authenticated.</summary>
public sealed class IdentityAssertionSigner(IdentitySigningKey key, TimeProvider time)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(2);

    public string Sign(PlatformIdentity identity, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity.User);
        var life = lifetime ?? DefaultLifetime;
        if (life <= TimeSpan.Zero || life > IdentityAssertionVerifier.MaximumLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), $"An identity assertion lives between 0 and {IdentityAssertionVerifier.MaximumLifetime}.");
        }

        var now = time.GetUtcNow();
        var header = IdentityAssertionFormat.Encode(
            new AssertionHeader(IdentityAssertionFormat.Algorithm, IdentityAssertionFormat.Type, key.KeyId),
            AssertionJsonContext.Default.AssertionHeader);
        var payload = IdentityAssertionFormat.Encode(
            new AssertionPayload(IdentityAssertionFormat.Issuer, identity.User, [.. identity.Groups], identity.IsAdmin, now.ToUnixTimeSeconds(), (now + life).ToUnixTimeSeconds()),
            AssertionJsonContext.Default.AssertionPayload);
        var signature = key.Key.SignData(IdentityAssertionFormat.SigningInput(header, payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }
}
