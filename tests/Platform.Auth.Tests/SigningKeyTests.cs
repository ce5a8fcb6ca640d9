using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Auth.Infrastructure;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Secrets;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class SigningKeyTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "signing-key-password";
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Auth:Type"] = "simple",
        ["Auth:Simple:Password"] = Password,
        ["Auth:Admins"] = "root",
        // Longer than a verifier's 5 s refetch throttle (what the delay is for), short enough for a test.
        ["Auth:SigningKeys:ActivationDelay"] = "00:00:06",
    };

    private AuthServiceHost auth = null!;

    public async Task InitializeAsync() => auth = await StartAsync(infrastructure, Settings);

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task The_keys_endpoint_publishes_the_key_that_signs_assertions()
    {
        var assertion = await auth.AssertionForAsync("judy", Password);

        using var response = await auth.Client().GetAsync("/api/identity/keys");
        var keys = await response.Content.ReadFromJsonAsync(IdentityKeySetJsonContext.Default.IdentityKeySet);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = Assert.Single(keys!.Keys);
        Assert.Equal(key.KeyId, KeyIdOf(assertion));
        Assert.Contains("BEGIN PUBLIC KEY", key.PublicKeyPem, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotated_key_is_published_before_it_signs_and_the_old_key_keeps_verifying_at_another_service()
    {
        var root = await auth.AssertionForAsync("root", Password);
        var oldAssertion = await auth.AssertionForAsync("judy", Password);
        // Another service that has just fetched the key set: it may not fetch again for a few seconds.
        var otherService = auth.RemoteVerifier();
        Assert.True((await otherService.VerifyAsync(oldAssertion)).IsValid);

        using var rotate = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/identity/keys/rotate", root));
        var rotated = await rotate.Content.ReadFromJsonAsync<SigningKeyRotated>();
        var beforeActivation = await auth.AssertionForAsync("judy", Password);
        var publishedEarly = await PublishedKeyIdsAsync();
        await Task.Delay(rotated!.ActivatesAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        var afterActivation = await auth.AssertionForAsync("judy", Password);

        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        Assert.NotEqual(KeyIdOf(oldAssertion), rotated.KeyId);
        Assert.Equal([rotated.KeyId, KeyIdOf(oldAssertion)], publishedEarly);
        Assert.Equal(KeyIdOf(oldAssertion), KeyIdOf(beforeActivation));
        Assert.Equal(rotated.KeyId, KeyIdOf(afterActivation));
        Assert.Equal([rotated.KeyId, KeyIdOf(oldAssertion)], await PublishedKeyIdsAsync());
        Assert.True((await otherService.VerifyAsync(afterActivation)).IsValid);
        Assert.True((await otherService.VerifyAsync(oldAssertion)).IsValid);
        Assert.True((await auth.RemoteVerifier().VerifyAsync(oldAssertion)).IsValid);
    }

    [Fact]
    public async Task Only_an_admin_may_rotate_the_key()
    {
        var judy = await auth.AssertionForAsync("judy", Password);

        using var asUser = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/identity/keys/rotate", judy));
        using var anonymous = await auth.Client().PostAsync("/api/identity/keys/rotate", null);

        Assert.Equal(HttpStatusCode.Forbidden, asUser.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_restarted_service_and_a_second_replica_sign_with_the_same_persisted_key()
    {
        var before = await auth.AssertionForAsync("judy", Password);
        await using var replica = Start(infrastructure, auth.ConnectionString, Settings);

        var fromReplica = await replica.AssertionForAsync("judy", Password);
        await auth.DisposeAsync();
        await using var restarted = Start(infrastructure, auth.ConnectionString, Settings);
        var afterRestart = await restarted.AssertionForAsync("judy", Password);

        Assert.Equal(KeyIdOf(before), KeyIdOf(fromReplica));
        Assert.Equal(KeyIdOf(before), KeyIdOf(afterRestart));
        Assert.True((await restarted.RemoteVerifier().VerifyAsync(before)).IsValid);
    }

    [Fact]
    public async Task A_session_survives_a_restart_and_is_accepted_by_another_replica()
    {
        using var login = await auth.Client().SendAsync(IdentityRequest(Basic("judy", Password)));
        var cookie = CookiePair(SessionCookie(login)!);
        await using var replica = Start(infrastructure, auth.ConnectionString, Settings);

        using var atReplica = await replica.Client().SendAsync(IdentityRequest(cookie: cookie));
        await auth.DisposeAsync();
        await using var restarted = Start(infrastructure, auth.ConnectionString, Settings);
        using var afterRestart = await restarted.Client().SendAsync(IdentityRequest(cookie: cookie));

        Assert.Equal(HttpStatusCode.OK, atReplica.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterRestart.StatusCode);
        Assert.Equal("judy", (await afterRestart.Content.ReadFromJsonAsync<CallerIdentity>())!.User);
    }

    [Fact]
    public async Task Automatic_rotation_replaces_a_key_older_than_the_rotation_age()
    {
        var before = await auth.AssertionForAsync("judy", Password);
        await using var rotating = Start(infrastructure, auth.ConnectionString, new Dictionary<string, string?>(Settings)
        {
            ["Auth:SigningKeys:RotationAge"] = "00:00:01",
            ["Auth:SigningKeys:RotationCheckInterval"] = "00:00:00.500",
            ["Auth:SigningKeys:ActivationDelay"] = "00:00:00",
        });

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var after = await rotating.AssertionForAsync("judy", Password);

        Assert.NotEqual(KeyIdOf(before), KeyIdOf(after));
        Assert.True((await rotating.RemoteVerifier().VerifyAsync(before)).IsValid);
    }

    [Fact]
    public async Task The_stored_private_key_is_sealed_by_default_and_still_signs_after_a_restart()
    {
        var before = await auth.AssertionForAsync("judy", Password);
        var stored = Assert.Single(await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString));
        await auth.DisposeAsync();

        auth = Start(infrastructure, auth.ConnectionString, Settings);
        var after = await auth.AssertionForAsync("judy", Password);

        Assert.StartsWith("sealed:v1:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", stored, StringComparison.Ordinal);
        Assert.Equal(KeyIdOf(before), KeyIdOf(after));
        Assert.True((await auth.RemoteVerifier().VerifyAsync(after)).IsValid);
    }

    [Fact]
    public async Task A_key_sealed_under_another_sealing_key_is_replaced_with_a_clear_error_not_a_500_per_request()
    {
        var before = await auth.AssertionForAsync("judy", Password);
        var stored = Assert.Single(await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString));
        await auth.DisposeAsync();

        // The AppHost's sealing-key parameter changed between two runs on the same data.
        using var logs = new CapturedLogs();
        auth = Start(infrastructure, auth.ConnectionString, new Dictionary<string, string?>(Settings) { [SecretSealer.ConfigurationKey] = SecretSealer.NewKey() }, logs);
        var after = await auth.AssertionForAsync("judy", Password);
        var again = await auth.AssertionForAsync("judy", Password);

        Assert.NotEqual(KeyIdOf(before), KeyIdOf(after));
        Assert.Equal(KeyIdOf(after), KeyIdOf(again));
        Assert.True((await auth.RemoteVerifier().VerifyAsync(after)).IsValid);
        Assert.True((await auth.RemoteVerifier().VerifyAsync(before)).IsValid, "what the unreadable key signed verifies until it expires");
        Assert.Contains(stored, await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString));
        Assert.Single(logs.Entries, e => e.Contains("cannot be unsealed with the configured Secrets:SealingKey", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("clear")]
    [InlineData("protection-key")]
    public async Task A_key_an_earlier_version_stored_is_resealed_at_start_and_still_signs(string form)
    {
        var before = await auth.AssertionForAsync("judy", Password);
        var sealer = auth.Services.GetRequiredService<SecretSealer>();
        var pem = sealer.Unseal(Assert.Single(await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString)), SigningKeyProtection.Purpose);
        var legacyKey = RandomNumberGenerator.GetBytes(32);
        await SetStoredPrivateKeyAsync(auth.ConnectionString, form == "clear" ? pem : LegacySeal(pem, legacyKey));
        await auth.DisposeAsync();

        var settings = new Dictionary<string, string?>(Settings) { ["Auth:SigningKeys:ProtectionKey"] = Convert.ToBase64String(legacyKey) };
        auth = Start(infrastructure, auth.ConnectionString, settings);
        var after = await auth.AssertionForAsync("judy", Password);

        Assert.StartsWith("sealed:v1:", Assert.Single(await AuthDatabase.StoredPrivateKeysAsync(auth.ConnectionString)), StringComparison.Ordinal);
        Assert.Equal(KeyIdOf(before), KeyIdOf(after));
        Assert.True((await auth.RemoteVerifier().VerifyAsync(after)).IsValid);
    }

    // The form Auth:SigningKeys:ProtectionKey produced before keys were sealed with Secrets:SealingKey.
    private static string LegacySeal(string pem, byte[] key)
    {
        var plaintext = Encoding.UTF8.GetBytes(pem);
        var sealedKey = new byte[12 + plaintext.Length + 16];
        RandomNumberGenerator.Fill(sealedKey.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(sealedKey.AsSpan(0, 12), plaintext, sealedKey.AsSpan(12, plaintext.Length), sealedKey.AsSpan(12 + plaintext.Length));
        return "aes-256-gcm:" + Convert.ToBase64String(sealedKey);
    }

    private static async Task SetStoredPrivateKeyAsync(string connectionString, string stored)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("update signing_keys set private_key = $1", connection);
        command.Parameters.Add(new() { Value = stored });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> PublishedKeyIdsAsync()
    {
        using var published = await auth.Client().GetAsync("/api/identity/keys");
        return [.. (await published.Content.ReadFromJsonAsync(IdentityKeySetJsonContext.Default.IdentityKeySet))!.Keys.Select(k => k.KeyId)];
    }

    private static string KeyIdOf(string assertion)
    {
        var header = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(assertion.Split('.')[0]));
        return header.RootElement.GetProperty("kid").GetString()!;
    }
}
