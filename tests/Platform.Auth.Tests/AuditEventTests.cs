using System.Net;
using Platform.Auth.Tests.Support;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class AuditEventTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "audit-password";
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync() => auth = await StartAsync(infrastructure, new Dictionary<string, string?>
    {
        ["Auth:Type"] = "simple,token",
        ["Auth:Simple:Password"] = Password,
        ["Auth:Admins"] = "kim",
        ["Auth:Groups:audit"] = "kim",
    });

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task Each_credential_check_publishes_one_event_and_cookie_requests_publish_none()
    {
        using var login = await auth.Client().SendAsync(IdentityRequest(Basic("kim", Password), clientAddress: "192.0.2.7"));
        var cookie = CookiePair(SessionCookie(login)!);
        for (var i = 0; i < 3; i++)
        {
            using var withCookie = await auth.Client().SendAsync(IdentityRequest(cookie: cookie));
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        }

        using var anonymous = await auth.Client().SendAsync(IdentityRequest());
        using var refused = await auth.Client().SendAsync(IdentityRequest(Basic("kim", "not-the-password"), clientAddress: "192.0.2.8"));
        using var refusedToken = await auth.Client().SendAsync(IdentityRequest("Bearer plat_unknown", clientAddress: "192.0.2.9"));

        var events = await AuthDatabase.DispatchedOutboxAsync(auth.ConnectionString);

        Assert.Equal(["UserAuthenticated", "AuthenticationFailed", "AuthenticationFailed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.True(e.Dispatched, "the relay handed the event to RabbitMQ"));

        var success = events[0].Body;
        Assert.Equal("kim", success.GetProperty("userName").GetString());
        Assert.Equal("simple", success.GetProperty("authenticator").GetString());
        Assert.Equal("192.0.2.7", success.GetProperty("clientAddress").GetString());
        Assert.True(success.GetProperty("isAdmin").GetBoolean());
        Assert.Equal(["audit"], success.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));

        var failure = events[1].Body;
        Assert.Equal("kim", failure.GetProperty("userName").GetString());
        Assert.Equal("wrong password", failure.GetProperty("reason").GetString());
        Assert.Equal("192.0.2.8", failure.GetProperty("clientAddress").GetString());
        Assert.Equal("token", events[2].Body.GetProperty("authenticator").GetString());
        Assert.DoesNotContain(events, e => e.Body.GetRawText().Contains("not-the-password", StringComparison.Ordinal) || e.Body.GetRawText().Contains(Password, StringComparison.Ordinal));
    }
}
