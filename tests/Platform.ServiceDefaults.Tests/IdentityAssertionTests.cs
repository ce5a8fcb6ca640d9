using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Platform.ServiceDefaults.Identity;

namespace Platform.ServiceDefaults.Tests;

public sealed class IdentityAssertionTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly IdentitySigningKey key = IdentitySigningKey.Generate();
    private readonly IdentitySigningKey otherKey = IdentitySigningKey.Generate();
    private readonly ManualTime time = new(Noon);

    public void Dispose()
    {
        key.Dispose();
        otherKey.Dispose();
    }

    private IdentityAssertionVerifier VerifierTrusting(params IdentitySigningKey[] keys)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(keys.Select(k => KeyValuePair.Create<string, string?>($"Identity:PublicKeys:{k.KeyId}", k.ExportPublicKeyPem())))
            .Build();
        return new IdentityAssertionVerifier(new ConfiguredIdentityKeys(configuration), time);
    }

    [Fact]
    public async Task A_signed_assertion_verifies_with_its_user_groups_and_admin_flag()
    {
        var assertion = new IdentityAssertionSigner(key, time).Sign(new PlatformIdentity("alice", ["science", "ops"], IsAdmin: true));

        var result = await VerifierTrusting(key).VerifyAsync(assertion);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal("alice", result.Identity!.User);
        Assert.Equal(["science", "ops"], result.Identity.Groups);
        Assert.True(result.Identity.IsAdmin);
    }

    [Fact]
    public async Task An_assertion_signed_with_an_untrusted_key_is_refused()
    {
        var assertion = new IdentityAssertionSigner(otherKey, time).Sign(new PlatformIdentity("mallory", [], false));

        var result = await VerifierTrusting(key).VerifyAsync(assertion);

        Assert.False(result.IsValid);
        Assert.Equal("unknown signing key", result.Error);
    }

    [Fact]
    public async Task A_payload_edited_to_claim_admin_fails_the_signature_check()
    {
        var assertion = new IdentityAssertionSigner(key, time).Sign(new PlatformIdentity("bob", [], false));
        var parts = assertion.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"admin\":false", "\"admin\":true", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        var result = await VerifierTrusting(key).VerifyAsync(forged);

        Assert.False(result.IsValid);
        Assert.Equal("bad signature", result.Error);
    }

    [Fact]
    public async Task An_assertion_is_refused_once_expired_beyond_the_clock_skew()
    {
        var assertion = new IdentityAssertionSigner(key, time).Sign(new PlatformIdentity("carol", [], false), TimeSpan.FromMinutes(1));
        var verifier = VerifierTrusting(key);

        time.Now = Noon.AddSeconds(80);
        Assert.True((await verifier.VerifyAsync(assertion)).IsValid);

        time.Now = Noon.AddMinutes(2);
        Assert.Equal("assertion expired", (await verifier.VerifyAsync(assertion)).Error);
    }

    [Fact]
    public async Task A_long_lived_assertion_is_refused_even_when_correctly_signed()
    {
        var header = IdentityAssertionFormat.Encode(new AssertionHeader("ES256", IdentityAssertionFormat.Type, key.KeyId), AssertionJsonContext.Default.AssertionHeader);
        var payload = IdentityAssertionFormat.Encode(
            new AssertionPayload(IdentityAssertionFormat.Issuer, "dave", [], false, Noon.ToUnixTimeSeconds(), Noon.AddDays(30).ToUnixTimeSeconds()),
            AssertionJsonContext.Default.AssertionPayload);
        var signature = key.Key.SignData(IdentityAssertionFormat.SigningInput(header, payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var result = await VerifierTrusting(key).VerifyAsync($"{header}.{payload}.{Base64Url.EncodeToString(signature)}");

        Assert.Equal("assertion lifetime too long", result.Error);
    }

    [Fact]
    public void The_signer_refuses_to_mint_an_assertion_longer_than_the_maximum_lifetime()
    {
        var signer = new IdentityAssertionSigner(key, time);

        Assert.Throws<ArgumentOutOfRangeException>(() => signer.Sign(new PlatformIdentity("erin", [], false), TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task During_rotation_assertions_from_the_old_and_the_new_key_both_verify()
    {
        var verifier = VerifierTrusting(key, otherKey);

        Assert.True((await verifier.VerifyAsync(new IdentityAssertionSigner(key, time).Sign(new PlatformIdentity("old", [], false)))).IsValid);
        Assert.True((await verifier.VerifyAsync(new IdentityAssertionSigner(otherKey, time).Sign(new PlatformIdentity("new", [], false)))).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")]
    [InlineData("!!!.???.***")]
    public async Task Malformed_or_unsigned_assertions_are_refused(string assertion)
    {
        var result = await VerifierTrusting(key).VerifyAsync(assertion);

        Assert.False(result.IsValid);
    }
}
