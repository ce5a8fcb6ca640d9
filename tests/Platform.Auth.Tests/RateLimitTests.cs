using System.Net;
using Platform.Auth.Tests.Support;
using Platform.Testing;
using static Platform.Auth.Tests.Support.AuthServiceHost;

namespace Platform.Auth.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class RateLimitTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Password = "rate-limit-password";
    private AuthServiceHost auth = null!;

    public async Task InitializeAsync() => auth = await StartAsync(infrastructure, new Dictionary<string, string?>
    {
        ["Auth:Type"] = "simple,token",
        ["Auth:Simple:Password"] = Password,
        ["Auth:RateLimit:ClientFailures"] = "5",
        ["Auth:RateLimit:UserFailures"] = "3",
        ["Auth:RateLimit:Window"] = "00:10:00",
    });

    public async Task DisposeAsync() => await auth.DisposeAsync();

    [Fact]
    public async Task A_client_that_keeps_failing_gets_429_with_retry_after_while_other_clients_are_unaffected()
    {
        for (var i = 0; i < 5; i++)
        {
            using var failed = await auth.Client().SendAsync(IdentityRequest($"Bearer plat_guess{i}", clientAddress: "192.0.2.50"));
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var blocked = await auth.Client().SendAsync(IdentityRequest(Basic("frank", Password), clientAddress: "192.0.2.50"));
        using var other = await auth.Client().SendAsync(IdentityRequest(Basic("frank", Password), clientAddress: "192.0.2.51"));

        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        var retryAfter = blocked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Guessing_one_users_password_from_many_addresses_locks_that_user_even_for_the_right_password()
    {
        for (var i = 0; i < 3; i++)
        {
            using var failed = await auth.Client().SendAsync(IdentityRequest(Basic("grace", $"guess{i}"), clientAddress: $"192.0.2.{100 + i}"));
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var right = await auth.Client().SendAsync(IdentityRequest(Basic("grace", Password), clientAddress: "192.0.2.200"));
        using var wrong = await auth.Client().SendAsync(IdentityRequest(Basic("grace", "guess9"), clientAddress: "192.0.2.201"));
        using var otherUser = await auth.Client().SendAsync(IdentityRequest(Basic("heidi", Password), clientAddress: "192.0.2.202"));

        // The same answer for right and wrong passwords: a locked account is no password oracle.
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, wrong.StatusCode);
        Assert.NotNull(right.Headers.RetryAfter);
        Assert.Null(SessionCookie(right));
        Assert.Equal(HttpStatusCode.OK, otherUser.StatusCode);
    }

    [Fact]
    public async Task Forwarded_addresses_are_ignored_without_the_proxy_token()
    {
        for (var i = 0; i < 5; i++)
        {
            var spoofed = new HttpRequestMessage(HttpMethod.Get, "/api/auth/identity");
            spoofed.Headers.Add("Authorization", $"Bearer plat_spoof{i}");
            // A different made-up address each time: were it believed, no address would ever reach the limit.
            spoofed.Headers.Add("X-Forwarded-For", $"198.18.0.{i}");
            spoofed.Headers.Add("X-Proxy-Token", "not-the-proxy-token");
            using var failed = await auth.Client().SendAsync(spoofed);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var next = new HttpRequestMessage(HttpMethod.Get, "/api/auth/identity");
        next.Headers.Add("Authorization", Basic("ivan", Password));
        next.Headers.Add("X-Forwarded-For", "198.18.0.99");
        using var blocked = await auth.Client().SendAsync(next);

        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
    }
}
