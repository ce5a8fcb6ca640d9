using System.Net;
using System.Text.Json;
using Platform.Clusters.Apis;
using Platform.Clusters.Tests.Support;
using Platform.ServiceDefaults.Identity;

namespace Platform.Clusters.Tests.Integration;

/// <summary>The Proxy rebuilds its route table from <c>/internal/routes</c>; only the proxy token opens it.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class InternalRoutesTests(ClustersServiceFixture service)
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> RoutesAsync(string? token, KeyValuePair<string, string>? identity = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/internal/routes");
        if (token is not null)
        {
            request.Headers.Add(ProxyToken.HeaderName, token);
        }

        if (identity is { } header)
        {
            request.Headers.Add(header.Key, header.Value);
        }

        using var response = await service.Http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task A_running_cluster_is_listed_with_its_addresses_until_it_stops()
    {
        var user = service.As("routes-owner");
        var name = await user.CreateAsync();
        await user.WaitForStatusAsync(name, "RUNNING");

        var (status, body) = await RoutesAsync(ClustersServiceFixture.ProxyToken);

        Assert.Equal(HttpStatusCode.OK, status);
        var route = Assert.Single(body.GetProperty("routes").EnumerateArray(), r => r.GetProperty("name").GetString() == name);
        Assert.Equal("routes-owner", route.GetProperty("owner").GetString());
        Assert.StartsWith("tls://127.0.0.1:", route.GetProperty("schedulerAddress").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("http://127.0.0.1:", route.GetProperty("dashboardAddress").GetString(), StringComparison.Ordinal);

        await user.StopAsync(name);
        await user.WaitForStatusAsync(name, "STOPPED");
        (_, body) = await RoutesAsync(ClustersServiceFixture.ProxyToken);
        Assert.DoesNotContain(body.GetProperty("routes").EnumerateArray(), r => r.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Without_the_proxy_token_the_routes_are_refused_even_for_an_admin()
    {
        var missing = await RoutesAsync(null);
        var wrong = await RoutesAsync(new string('0', 64));
        var admin = await RoutesAsync(null, service.Identity.Header("root", admin: true));

        Assert.All([missing, wrong, admin], r =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.Status);
            Assert.Equal("A valid proxy token is required", r.Body.GetProperty("error").GetString());
        });
    }

    [Theory]
    [InlineData("secret", null, false)]
    [InlineData("secret", "", false)]
    [InlineData("", "secret", false)]
    [InlineData("secreT", "secret", false)]
    [InlineData("secret", "secret", true)]
    public void Only_the_configured_token_matches_and_no_token_configured_admits_nobody(string presented, string? expected, bool admitted) =>
        Assert.Equal(admitted, ProxyToken.Matches(expected, presented));
}
