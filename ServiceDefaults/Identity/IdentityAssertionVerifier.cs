using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Platform.ServiceDefaults.Identity;

public sealed record IdentityVerification(PlatformIdentity? Identity, string? Error)
{
    public bool IsValid => Identity is not null;

    public static IdentityVerification Fail(string error) => new(null, error);
}

/// <summary>Checks an assertion's signature against Auth's public keys, its issuer, and that it is current and short-lived.</summary>
public sealed class IdentityAssertionVerifier(IIdentityKeyStore keys, TimeProvider time)
{
    /// <summary>Assertions are per-request credentials; a long-lived one is refused even if correctly signed.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public async ValueTask<IdentityVerification> VerifyAsync(string assertion, CancellationToken cancellationToken = default)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            return IdentityVerification.Fail("malformed assertion");
        }

        AssertionHeader? header;
        AssertionPayload? payload;
        byte[] signature;
        try
        {
            header = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[0]), AssertionJsonContext.Default.AssertionHeader);
            payload = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[1]), AssertionJsonContext.Default.AssertionPayload);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return IdentityVerification.Fail("malformed assertion");
        }

        if (header is null || payload is null || header.Algorithm != IdentityAssertionFormat.Algorithm || header.Type != IdentityAssertionFormat.Type)
        {
            return IdentityVerification.Fail("unsupported assertion type");
        }

        // Every field may be absent or null in what a client sent; the key stores are asked only for a real id.
        if (string.IsNullOrEmpty(header.KeyId))
        {
            return IdentityVerification.Fail("assertion names no signing key");
        }

        var key = await keys.FindAsync(header.KeyId, cancellationToken);
        if (key is null)
        {
            return IdentityVerification.Fail("unknown signing key");
        }

        if (!key.VerifyData(IdentityAssertionFormat.SigningInput(parts[0], parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return IdentityVerification.Fail("bad signature");
        }

        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (payload.Issuer != IdentityAssertionFormat.Issuer)
        {
            return IdentityVerification.Fail("wrong issuer");
        }

        if (expiresAt - issuedAt > MaximumLifetime)
        {
            return IdentityVerification.Fail("assertion lifetime too long");
        }

        if (now > expiresAt + ClockSkew)
        {
            return IdentityVerification.Fail("assertion expired");
        }

        if (issuedAt > now + ClockSkew)
        {
            return IdentityVerification.Fail("assertion issued in the future");
        }

        if (string.IsNullOrWhiteSpace(payload.Subject))
        {
            return IdentityVerification.Fail("assertion names no user");
        }

        if (payload.Groups is { } groups && groups.Any(string.IsNullOrEmpty))
        {
            return IdentityVerification.Fail("assertion names an empty group");
        }

        return new IdentityVerification(new PlatformIdentity(payload.Subject, payload.Groups ?? [], payload.Admin), null);
    }
}
