using System.Net;
using System.Net.Http.Json;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

/// <summary>Against a real JupyterHub: users and their tokens are minted through the Hub's REST API.</summary>
[Collection(JupyterHubCollection.Name)]
public sealed class JupyterHubAuthenticatorTests(InfrastructureFixture infrastructure, JupyterHubServer hub) : IAsyncLifetime
{
    private static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(2);
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync() => auth = await StartAsync(infrastructure, HubSettings(hub.Url));

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task A_valid_hub_token_identifies_the_user_with_the_hubs_groups_and_admin_flag()
    {
        await hub.CreateUserAsync("hubadmin", admin: true, "physics");
        var (_, token) = await hub.CreateTokenAsync("hubadmin");

        using var response = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("hubadmin", body!.User);
        Assert.Equal(["physics", "staff"], body.Groups);
        Assert.True(body.Admin);
        var verified = await auth.RemoteVerifier().VerifyAsync(response.Headers.GetValues(PlatformIdentity.HeaderName).Single());
        Assert.Equal(["physics", "staff"], verified.Identity!.Groups);
        Assert.NotNull(SessionCookie(response));
    }

    [Fact]
    public async Task A_plain_hub_user_is_not_an_admin()
    {
        await hub.CreateUserAsync("plainuser");
        var (_, token) = await hub.CreateTokenAsync("plainuser");

        using var response = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));

        var body = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("plainuser", body!.User);
        Assert.False(body.Admin);
        Assert.Empty(body.Groups);
    }

    [Fact]
    public async Task A_revoked_hub_token_is_refused_once_the_cached_answer_expires()
    {
        await hub.CreateUserAsync("revoker");
        var (id, token) = await hub.CreateTokenAsync("revoker");
        using var before = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await hub.RevokeTokenAsync("revoker", id);
        using var cached = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));
        await Task.Delay(CacheDuration + TimeSpan.FromMilliseconds(500));
        using var after = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));

        // The Hub is not asked again within the cache duration, so the revocation shows only after it.
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("jupyterhub", after.Headers.WwwAuthenticate.Select(h => h.ToString()));
    }

    [Fact]
    public async Task A_token_the_hub_never_issued_is_refused()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_hub_token_without_the_required_service_scope_is_refused()
    {
        await hub.CreateUserAsync("narrow");
        var (_, token) = await hub.CreateTokenAsync("narrow", "read:users:name!user=narrow", "read:users:groups!user=narrow");

        using var response = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_restricted_to_exactly_the_required_scope_is_accepted()
    {
        await hub.CreateUserAsync("scoped");
        var (_, token) = await hub.CreateTokenAsync("scoped", JupyterHubServer.GatewayScope);

        using var response = await auth.Client().SendAsync(IdentityRequest($"jupyterhub {token}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("scoped", (await response.Content.ReadFromJsonAsync<CallerIdentity>())!.User);
    }

    [Fact]
    public async Task A_hub_that_is_down_gives_502_not_401()
    {
        var closedPort = Platform.Hosting.Infrastructure.FreePort.Pick();
        await using var downAuth = await StartAsync(infrastructure, HubSettings(new Uri($"http://127.0.0.1:{closedPort}/")));

        using var response = await downAuth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("JupyterHub", (await response.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hub_answering_500_gives_502()
    {
        await using var broken = StubHub.Answering(500);
        await using var brokenAuth = await StartAsync(infrastructure, HubSettings(broken.Url));

        using var response = await brokenAuth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1, broken.Requests);
    }

    [Fact]
    public async Task A_hub_that_does_not_answer_in_time_gives_502()
    {
        await using var silent = StubHub.NeverAnswering();
        await using var slowAuth = await StartAsync(infrastructure, new Dictionary<string, string?>(HubSettings(silent.Url))
        {
            ["Auth:JupyterHub:Timeout"] = "00:00:01",
        });

        var started = DateTime.UtcNow;
        using var response = await slowAuth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_hub_outage_is_not_cached_so_the_next_request_asks_again()
    {
        await using var broken = StubHub.Answering(503);
        await using var brokenAuth = await StartAsync(infrastructure, HubSettings(broken.Url));

        using var first = await brokenAuth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));
        using var second = await brokenAuth.Client().SendAsync(IdentityRequest("jupyterhub 0123456789abcdef0123456789abcdef"));

        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.Equal(2, broken.Requests);
    }

    internal static Dictionary<string, string?> HubSettings(Uri hubUrl) => new()
    {
        ["Auth:Type"] = "jupyterhub",
        ["Auth:JupyterHub:Url"] = hubUrl.ToString(),
        ["Auth:JupyterHub:RequiredScope"] = JupyterHubServer.GatewayScope,
        ["Auth:JupyterHub:CacheDuration"] = CacheDuration.ToString(),
        ["Auth:Groups:staff"] = "hubadmin",
    };
}
