using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Platform.ServiceDefaults.Secrets;

namespace Platform.ServiceDefaults.Tests;

public class SecretSealerTests
{
    private static readonly SecretSealer Sealer = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_sealed_value_unseals_to_the_original_and_does_not_contain_it()
    {
        var stored = Sealer.Seal("-----BEGIN PRIVATE KEY-----secret", "cluster-tls-key");

        Assert.True(SecretSealer.IsSealed(stored));
        Assert.DoesNotContain("secret", stored, StringComparison.Ordinal);
        Assert.Equal("-----BEGIN PRIVATE KEY-----secret", Sealer.Unseal(stored, "cluster-tls-key"));
    }

    [Fact]
    public void Sealing_twice_gives_different_ciphertexts()
    {
        Assert.NotEqual(Sealer.Seal("x", "p"), Sealer.Seal("x", "p"));
    }

    [Fact]
    public void A_value_sealed_for_one_purpose_cannot_be_unsealed_for_another()
    {
        var stored = Sealer.Seal("value", "webhook-secret");

        Assert.ThrowsAny<CryptographicException>(() => Sealer.Unseal(stored, "auth-signing-key"));
    }

    [Fact]
    public void Another_key_cannot_unseal()
    {
        var stored = Sealer.Seal("value", "p");

        Assert.ThrowsAny<CryptographicException>(() => new SecretSealer(RandomNumberGenerator.GetBytes(32)).Unseal(stored, "p"));
    }

    [Fact]
    public void A_tampered_value_is_refused()
    {
        var stored = Sealer.Seal("value", "p");
        var bytes = Convert.FromBase64String(stored["sealed:v1:".Length..]);
        bytes[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => Sealer.Unseal("sealed:v1:" + Convert.ToBase64String(bytes), "p"));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void A_malformed_configured_key_is_refused_with_a_clear_message(string key)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [SecretSealer.ConfigurationKey] = key }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => SecretSealer.FromConfiguration(configuration));
        Assert.Contains(SecretSealer.ConfigurationKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_configured_key_means_no_sealer()
    {
        Assert.Null(SecretSealer.FromConfiguration(new ConfigurationBuilder().Build()));
    }
}
