using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Platform.Auth.Authenticators;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Secrets;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>What Auth does with nothing but its defaults: API tokens work, and an open door is refused outside Development.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SafeDefaultsTests(InfrastructureFixture infrastructure)
{
    private const string Password = "safe-defaults-password";

    [Fact]
    public async Task An_api_token_works_as_bearer_under_the_default_authenticators_without_a_bearer_challenge()
    {
        await using var auth = await StartAsync(infrastructure, new Dictionary<string, string?> { ["Auth:Simple:Password"] = Password });
        var assertion = await auth.AssertionForAsync("alice", Password);
        using var create = await auth.Client().SendAsync(AsUser(HttpMethod.Post, "/api/tokens", assertion, JsonContent.Create(new CreateTokenRequest("ci", null))));
        var token = (await create.Content.ReadFromJsonAsync<CreatedToken>())!.Token;

        using var bearer = await auth.Client().SendAsync(IdentityRequest($"Bearer {token}"));
        using var anonymous = await auth.Client().SendAsync(IdentityRequest());

        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal("alice", (await bearer.Content.ReadFromJsonAsync<CallerIdentity>())!.User);
        Assert.Equal(["Basic realm=\"Platform\""], anonymous.Headers.WwwAuthenticate.Select(h => h.ToString()));
    }

    [Fact]
    public async Task Auth_refuses_to_start_in_production_with_a_simple_authenticator_that_takes_any_password()
    {
        var settings = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["Secrets:SealingKey"] = SecretSealer.NewKey(),
        };

        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await (await StartAsync(infrastructure, settings)).DisposeAsync());

        Assert.Contains("Auth:Simple:AllowAnyPassword", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", null, null, false)]
    [InlineData("Staging", null, null, false)]
    [InlineData("Production", "pw", null, true)]
    [InlineData("Production", null, "true", true)]
    [InlineData("Development", null, null, true)]
    public void A_passwordless_simple_authenticator_needs_development_or_an_explicit_choice(string environment, string? password, string? allowAny, bool starts)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Simple:Password"] = password,
            ["Auth:Simple:AllowAnyPassword"] = allowAny,
        }).Build();

        var error = Record.Exception(() => SimpleAuthenticator.EnsureSafeFor(new Environment(environment), configuration));

        Assert.Equal(starts, error is null);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Platform.Auth";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
