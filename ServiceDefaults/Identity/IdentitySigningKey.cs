using System.Security.Cryptography;

namespace Platform.ServiceDefaults.Identity;

/// <summary>An ECDSA P-256 key pair with the id that assertions name, so keys can rotate while old ones still verify.</summary>
public sealed class IdentitySigningKey : IDisposable
{
    private IdentitySigningKey(string keyId, ECDsa key)
    {
        KeyId = keyId;
        Key = key;
    }

    public string KeyId { get; }

    internal ECDsa Key { get; }

    public static IdentitySigningKey Generate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        return new IdentitySigningKey(keyId, key);
    }

    public static IdentitySigningKey FromPrivateKeyPem(string keyId, string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return new IdentitySigningKey(keyId, key);
    }

    public string ExportPrivateKeyPem() => Key.ExportPkcs8PrivateKeyPem();

    public string ExportPublicKeyPem() => Key.ExportSubjectPublicKeyInfoPem();

    public void Dispose() => Key.Dispose();
}
