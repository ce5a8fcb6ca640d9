using Platform.ServiceDefaults.Identity;

namespace Platform.Testing;

/// <summary>
/// Mints platform identity assertions with a throwaway key, standing in for Auth in tests of other services.
/// Give the service <see cref="Configuration"/> so it trusts this key.
/// </summary>
public sealed class TestIdentity : IDisposable
{
    private readonly IdentitySigningKey key = IdentitySigningKey.Generate();

    public TestIdentity()
    {
        Signer = new IdentityAssertionSigner(key, TimeProvider.System);
    }

    public IdentityAssertionSigner Signer { get; }

    public string KeyId => key.KeyId;

    /// <summary>Configuration entries (<c>Identity:PublicKeys:&lt;kid&gt;</c>) that make a service trust this key.</summary>
    public IReadOnlyDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        [$"Identity:PublicKeys:{key.KeyId}"] = key.ExportPublicKeyPem(),
    };

    /// <summary>The same as <see cref="Configuration"/>, as environment variables for a child process.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        [$"Identity__PublicKeys__{key.KeyId}"] = key.ExportPublicKeyPem(),
    };

    public string Mint(string user, bool admin = false, params string[] groups) =>
        Signer.Sign(new PlatformIdentity(user, groups, admin));

    /// <summary>An HTTP request header pair carrying a fresh assertion for <paramref name="user"/>.</summary>
    public KeyValuePair<string, string> Header(string user, bool admin = false, params string[] groups) =>
        new(PlatformIdentity.HeaderName, Mint(user, admin, groups));

    public void Dispose() => key.Dispose();
}
