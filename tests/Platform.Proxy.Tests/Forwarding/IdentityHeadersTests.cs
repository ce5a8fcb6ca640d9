using Platform.Proxy.Apis;
using Platform.Proxy.Forwarding;
using Platform.ServiceDefaults.Identity;

namespace Platform.Proxy.Tests.Forwarding;

public class IdentityHeadersTests
{
    [Theory]
    [InlineData("X-Platform-Identity")]
    [InlineData("x-platform-identity")]
    [InlineData("X-Proxy-Token")]
    [InlineData("X-Forwarded-User")]
    [InlineData("X-Forwarded-Email")]
    [InlineData("X-Forwarded-Groups")]
    [InlineData("X-Auth-Request-User")]
    [InlineData("X-Remote-User")]
    [InlineData("Remote-User")]
    public void Identity_headers_a_client_sends_are_recognised(string name) => Assert.True(IdentityHeaders.IsIdentityHeader(name));

    [Theory]
    [InlineData("Authorization")]
    [InlineData("Cookie")]
    [InlineData("X-Forwarded-For")]
    [InlineData("Accept")]
    public void Ordinary_headers_pass(string name) => Assert.False(IdentityHeaders.IsIdentityHeader(name));

    [Fact]
    public void Client_identity_headers_are_replaced_by_the_assertion()
    {
        using var request = new HttpRequestMessage();
        request.Headers.TryAddWithoutValidation("X-Platform-Identity", "forged");
        request.Headers.TryAddWithoutValidation("X-Forwarded-User", "admin");
        request.Headers.TryAddWithoutValidation("X-Proxy-Token", "guess");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");

        IdentityHeaders.Replace(request.Headers, "signed");

        Assert.Equal(["signed"], request.Headers.GetValues("X-Platform-Identity"));
        Assert.False(request.Headers.Contains("X-Forwarded-User"));
        Assert.False(request.Headers.Contains("X-Proxy-Token"));
        Assert.True(request.Headers.Contains("Accept"));
    }

    [Fact]
    public void Without_an_assertion_no_identity_is_sent()
    {
        using var request = new HttpRequestMessage();
        request.Headers.TryAddWithoutValidation("X-Platform-Identity", "forged");

        IdentityHeaders.Replace(request.Headers, null);

        Assert.False(request.Headers.Contains("X-Platform-Identity"));
    }

    [Theory]
    [InlineData("/api/v1/clusters/", "clusters")]
    [InlineData("/api/health", "clusters")]
    [InlineData("/api/platform/clusters/x", "clusters")]
    [InlineData("/api/auth/identity", "auth")]
    [InlineData("/api/identity/keys", "auth")]
    [InlineData("/api/tokens/1", "auth")]
    [InlineData("/api/webhooks", "webhooks")]
    [InlineData("/api/tokensmith", "clusters")]
    public void Api_paths_go_to_their_owning_service(string path, string service) =>
        Assert.Equal(service, ApiForwarder.OwnerOf(path));

    [Fact]
    public void The_credential_cache_key_is_a_hash_not_the_credential()
    {
        var key = ForwardAuth.CacheKey("Basic YWxpY2U6c2VjcmV0", null);

        Assert.DoesNotContain("YWxpY2U6c2VjcmV0", key, StringComparison.Ordinal);
        Assert.Equal(64, key.Length);
        Assert.NotEqual(key, ForwardAuth.CacheKey("Basic YWxpY2U6c2VjcmV0", "session"));
    }

    [Fact]
    public void The_proxy_token_must_match_exactly()
    {
        Assert.True(ProxyToken.Matches("abc", "abc"));
        Assert.False(ProxyToken.Matches("abc", "abd"));
        Assert.False(ProxyToken.Matches("abc", "abcd"));
        Assert.False(ProxyToken.Matches(null, null));
        Assert.False(ProxyToken.Matches("", ""));
    }
}
