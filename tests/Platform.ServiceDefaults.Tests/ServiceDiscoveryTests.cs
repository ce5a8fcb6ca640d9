using Microsoft.Extensions.Configuration;
using Platform.ServiceDefaults.Configuration;

namespace Platform.ServiceDefaults.Tests;

public sealed class ServiceDiscoveryTests
{
    private static ServiceEndpointResolver Resolver(params (string Key, string Value)[] entries) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(entries.Select(e => KeyValuePair.Create<string, string?>(e.Key, e.Value))).Build());

    [Fact]
    public void A_service_name_resolves_to_its_configured_http_endpoint_keeping_path_and_query()
    {
        var resolver = Resolver(("services:auth:http:0", "http://127.0.0.1:5101"));

        var resolved = resolver.Rewrite(new Uri("http://auth/api/identity/keys?x=1"));

        Assert.Equal("http://127.0.0.1:5101/api/identity/keys?x=1", resolved.ToString());
    }

    [Fact]
    public void The_https_plus_http_scheme_prefers_https_and_falls_back_to_http()
    {
        var both = Resolver(("services:auth:http:0", "http://127.0.0.1:5101"), ("services:auth:https:0", "https://127.0.0.1:5443"));
        var httpOnly = Resolver(("services:auth:http:0", "http://127.0.0.1:5101"));

        Assert.Equal("https://127.0.0.1:5443/x", both.Rewrite(new Uri("https+http://auth/x")).ToString());
        Assert.Equal("http://127.0.0.1:5101/x", httpOnly.Rewrite(new Uri("https+http://auth/x")).ToString());
    }

    [Theory]
    [InlineData("http://unknown/x")]
    [InlineData("http://example.org/x")]
    [InlineData("http://127.0.0.1:9/x")]
    public void Hosts_that_name_no_configured_service_pass_through_unchanged(string uri)
    {
        var resolver = Resolver(("services:auth:http:0", "http://127.0.0.1:5101"));

        Assert.Equal(new Uri(uri), resolver.Rewrite(new Uri(uri)));
    }

    [Fact]
    public void Environment_style_keys_resolve_like_aspire_injects_them()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create<string, string?>("services__clusters__http__0".Replace("__", ":", StringComparison.Ordinal), "http://127.0.0.1:5102")])
            .Build();

        Assert.Equal(new Uri("http://127.0.0.1:5102"), new ServiceEndpointResolver(configuration).Resolve("clusters"));
    }
}
