using Platform.Proxy.Forwarding;

namespace Platform.Proxy.Tests.Forwarding;

public sealed class LocationRewriteTests
{
    private static readonly Uri[] Selves = [new("http://127.0.0.1:8787/dash/status"), new("https://gateway.example")];

    [Theory]
    [InlineData("/dash/status", "/dash", "/clusters/c1/status")]
    [InlineData("/dash", "/dash", "/clusters/c1/")]
    [InlineData("/dash?x=1", "/dash", "/clusters/c1/?x=1")]
    [InlineData("/status", "", "/clusters/c1/status")]
    [InlineData("http://127.0.0.1:8787/dash/info", "/dash", "/clusters/c1/info")]
    [InlineData("HTTP://127.0.0.1:8787/dash/info#top", "/dash", "/clusters/c1/info#top")]
    [InlineData("https://gateway.example/dash/info", "/dash", "/clusters/c1/info")]
    [InlineData("http://gateway.example:443/dash/info", "/dash", "/clusters/c1/info")]
    public void Redirects_to_the_backend_itself_are_moved_under_the_public_prefix(string location, string basePath, string expected) =>
        Assert.Equal(expected, RedirectLocation.Rewrite(location, Selves, basePath, "/clusters/c1"));

    [Theory]
    [InlineData("status", "")]
    [InlineData("//evil.example/x", "")]
    [InlineData("https://example.org/x", "")]
    [InlineData("http://127.0.0.1:9999/x", "")]
    [InlineData("/other/x", "/dash")]
    [InlineData("/dashboard", "/dash")]
    public void Relative_and_foreign_redirects_are_left_alone(string location, string basePath) =>
        Assert.Null(RedirectLocation.Rewrite(location, Selves, basePath, "/clusters/c1"));
}
