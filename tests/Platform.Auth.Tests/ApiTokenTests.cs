using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class ApiTokenTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "tokens-test-password";
    private AuthServiceHost auth = null!;
    private string aliceAssertion = null!;

    public async Task InitializeAsync()
    {
        auth = await StartAsync(infrastructure, new Dictionary<string, string?>
        {
            ["Auth:Type"] = "simple,token",
            ["Auth:Simple:Password"] = Password,
            ["Auth:Admins"] = "alice",
            ["Auth:Groups:analysts"] = "alice",
        });
        aliceAssertion = await auth.AssertionForAsync("alice", Password);
    }

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task A_created_token_authenticates_its_user_as_bearer_and_as_token_scheme()
    {
        var created = await CreateAsync("laptop");

        Assert.StartsWith("plat_", created.Token, StringComparison.Ordinal);
        foreach (var scheme in new[] { "Bearer", "token" })
        {
            using var response = await auth.Client().SendAsync(IdentityRequest($"{scheme} {created.Token}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var identity = await response.Content.ReadFromJsonAsync<CallerIdentity>();
            Assert.Equal("alice", identity!.User);
            Assert.True(identity.Admin);
            Assert.Equal(["analysts"], identity.Groups);
            Assert.NotNull(SessionCookie(response));
        }
    }

    [Fact]
    public async Task The_token_value_is_shown_once_and_listed_without_it()
    {
        var created = await CreateAsync("ci");

        using var list = await auth.Client().SendAsync(AsUser(HttpMethod.Get, "/api/tokens", aliceAssertion));
        var text = await list.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(created.Id.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Token, text, StringComparison.Ordinal);
        Assert.DoesNotContain("plat_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_hash_of_a_token_is_stored()
    {
        var created = await CreateAsync("stored");

        await using var connection = new NpgsqlConnection(auth.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select t::text from api_tokens t", connection);
        var rows = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        Assert.NotEmpty(rows);
        var secretPart = created.Token["plat_".Length..];
        Assert.DoesNotContain(rows, r => r.Contains(secretPart, StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Token))), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_revoked_token_is_refused_and_disappears_from_the_list()
    {
        var created = await CreateAsync("revoke-me");

        using var revoke = await auth.Client().SendAsync(AsUser(HttpMethod.Delete, $"/api/tokens/{created.Id}", aliceAssertion));
        using var used = await auth.Client().SendAsync(IdentityRequest($"Bearer {created.Token}"));
        using var list = await auth.Client().SendAsync(AsUser(HttpMethod.Get, "/api/tokens", aliceAssertion));

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, used.StatusCode);
        Assert.DoesNotContain(created.Id.ToString(), await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_cannot_revoke_another_users_token()
    {
        var created = await CreateAsync("alices");
        var bob = await auth.AssertionForAsync("bob", Password);

        using var revoke = await auth.Client().SendAsync(AsUser(HttpMethod.Delete, $"/api/tokens/{created.Id}", bob));
        using var used = await auth.Client().SendAsync(IdentityRequest($"Bearer {created.Token}"));

        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var created = await CreateAsync("short-lived", expiresInSeconds: 1);
        using var fresh = await auth.Client().SendAsync(IdentityRequest($"Bearer {created.Token}"));

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var expired = await auth.Client().SendAsync(IdentityRequest($"Bearer {created.Token}"));

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task A_token_lifetime_beyond_the_maximum_is_rejected()
    {
        using var response = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/tokens", aliceAssertion,
            JsonContent.Create(new CreateTokenRequest("forever", (long)TimeSpan.FromDays(3650).TotalSeconds))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Theory]
    [InlineData("a\u0000b")]
    [InlineData("line\nbreak")]
    public async Task A_token_name_with_a_control_character_is_a_422_not_a_500(string name)
    {
        using var response = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/tokens", aliceAssertion,
            JsonContent.Create(new CreateTokenRequest(name, null))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("control characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Managing_tokens_requires_a_platform_identity()
    {
        using var anonymous = await auth.Client().PostAsJsonAsync("/api/tokens", new CreateTokenRequest("x", null));
        using var forged = await auth.Client().SendAsync(AsUser(HttpMethod.Get, "/api/tokens", new TestIdentity().Mint("alice")));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task A_bearer_value_that_is_not_a_platform_token_is_refused()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest("Bearer plat_not-a-real-token"));
        using var foreign = await auth.Client().SendAsync(IdentityRequest("Bearer eyJhbGciOi.something.else"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, foreign.StatusCode);
    }

    private async Task<CreatedToken> CreateAsync(string name, long? expiresInSeconds = null)
    {
        using var response = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/tokens", aliceAssertion,
            JsonContent.Create(new CreateTokenRequest(name, expiresInSeconds))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreatedToken>())!;
    }
}
