using System.Net;
using System.Net.Http.Json;
using Platform.Auth.Model;
using Platform.Auth.Tests.Support;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class SimpleAuthenticatorTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync() => auth = await StartAsync(infrastructure, new Dictionary<string, string?>
    {
        ["Auth:Type"] = "simple,token",
        ["Auth:Simple:Password"] = Password,
        ["Auth:Simple:AllowedUsers"] = "alice,bob,carol",
        ["Auth:Admins"] = "carol",
        ["Auth:Groups:analysts"] = "alice,carol",
        ["Auth:Groups:ops"] = "carol",
    });

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task A_request_without_credentials_is_challenged_once_per_active_authenticator()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["Basic realm=\"Platform\"", "Bearer"], response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>();
        Assert.Equal("Authentication required", body!["error"]);
        Assert.False(response.Headers.Contains(PlatformIdentity.HeaderName));
    }

    [Fact]
    public async Task Valid_basic_credentials_yield_a_verifiable_assertion_with_configured_groups_and_admin()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(Basic("carol", Password)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("carol", body!.User);
        Assert.Equal(["analysts", "ops"], body.Groups);
        Assert.True(body.Admin);
        var verified = await auth.RemoteVerifier().VerifyAsync(response.Headers.GetValues(PlatformIdentity.HeaderName).Single());
        Assert.True(verified.IsValid, verified.Error);
        Assert.Equal("carol", verified.Identity!.User);
        Assert.Equal(["analysts", "ops"], verified.Identity.Groups);
        Assert.True(verified.Identity.IsAdmin);
    }

    [Fact]
    public async Task A_user_outside_every_configured_list_is_neither_admin_nor_in_a_group()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(Basic("bob", Password)));

        var body = await response.Content.ReadFromJsonAsync<CallerIdentity>();
        Assert.Equal("bob", body!.User);
        Assert.Empty(body.Groups);
        Assert.False(body.Admin);
    }

    [Fact]
    public async Task A_login_sets_an_http_only_lax_session_cookie_that_identifies_later_requests_without_a_new_session()
    {
        using var login = await auth.Client().SendAsync(IdentityRequest(Basic("alice", Password)));
        var setCookie = SessionCookie(login);

        Assert.NotNull(setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase);

        using var next = await auth.Client().SendAsync(IdentityRequest(cookie: CookiePair(setCookie)));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("alice", (await next.Content.ReadFromJsonAsync<CallerIdentity>())!.User);
        Assert.Null(SessionCookie(next));
        Assert.True(next.Headers.Contains(PlatformIdentity.HeaderName));
    }

    [Fact]
    public async Task The_session_cookie_is_secure_when_the_proxy_reports_https()
    {
        var request = IdentityRequest(Basic("alice", Password));
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await auth.Client().SendAsync(request);

        Assert.Contains("secure", SessionCookie(response)!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_made_up_session_cookie_is_refused()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(cookie: "platform-session=not-a-session"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_the_challenges()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(Basic("alice", "wrong")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, response.Headers.WwwAuthenticate.Count);
        Assert.Null(SessionCookie(response));
    }

    [Fact]
    public async Task A_user_not_on_the_allow_list_is_refused_even_with_the_right_password()
    {
        using var response = await auth.Client().SendAsync(IdentityRequest(Basic("mallory", Password)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Logging_out_ends_the_session()
    {
        using var login = await auth.Client().SendAsync(IdentityRequest(Basic("alice", Password)));
        var cookie = CookiePair(SessionCookie(login)!);

        var logout = new HttpRequestMessage(HttpMethod.Post, "/api/auth/logout");
        logout.Headers.Add("Cookie", cookie);
        using var loggedOut = await auth.Client().SendAsync(logout);
        using var after = await auth.Client().SendAsync(IdentityRequest(cookie: cookie));

        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Ending_all_sessions_invalidates_every_cookie_of_the_caller_only()
    {
        using var first = await auth.Client().SendAsync(IdentityRequest(Basic("alice", Password)));
        using var second = await auth.Client().SendAsync(IdentityRequest(Basic("alice", Password)));
        using var bobs = await auth.Client().SendAsync(IdentityRequest(Basic("bob", Password)));
        var assertion = first.Headers.GetValues(PlatformIdentity.HeaderName).Single();

        using var revoked = await auth.Client().SendAsync(AsUser(HttpMethod.Delete, "/api/sessions", assertion));

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(2, (await revoked.Content.ReadFromJsonAsync<SessionsRevoked>())!.Revoked);
        foreach (var login in new[] { first, second })
        {
            using var after = await auth.Client().SendAsync(IdentityRequest(cookie: CookiePair(SessionCookie(login)!)));
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }

        using var bobAfter = await auth.Client().SendAsync(IdentityRequest(cookie: CookiePair(SessionCookie(bobs)!)));
        Assert.Equal(HttpStatusCode.OK, bobAfter.StatusCode);
    }
}
