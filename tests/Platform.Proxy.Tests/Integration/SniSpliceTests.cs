using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Hosting.Infrastructure;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

[Collection(ProxyCollection.Name)]
public sealed class SniSpliceTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private readonly TlsEchoServer scheduler = new();
    private ProxyServiceHost proxy = null!;

    public Task InitializeAsync()
    {
        proxy = ProxyServiceHost.Start(infrastructure);
        proxy.Routes.Add(ClusterRoute.TryCreate("echo", "alice", scheduler.Address, null)!, DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await scheduler.DisposeAsync();
    }

    [Fact]
    public async Task Tls_naming_a_cluster_is_spliced_to_its_scheduler_byte_for_byte()
    {
        await using var tls = await TlsClient.ConnectAsync(proxy.Port, "daskgateway-echo");
        var payload = RandomNumberGenerator.GetBytes(1024 * 1024);

        var writing = tls.WriteAsync(payload).AsTask();
        var echoed = new byte[payload.Length];
        await tls.ReadExactlyAsync(echoed);
        await writing;

        Assert.Equal(payload, echoed);
        // The scheduler, not the proxy, answered the handshake: it saw the client's SNI itself.
        Assert.Equal("daskgateway-echo", scheduler.LastServerName);
    }

    [Fact]
    public async Task Many_connections_splice_concurrently()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var tls = await TlsClient.ConnectAsync(proxy.Port, "daskgateway-echo");
            var payload = RandomNumberGenerator.GetBytes(10_000 + i);
            await tls.WriteAsync(payload);
            var echoed = new byte[payload.Length];
            await tls.ReadExactlyAsync(echoed);
            Assert.Equal(payload, echoed);
        }));
    }

    [Fact]
    public async Task Unknown_cluster_names_are_closed_cleanly()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(proxy.Port, "daskgateway-nosuch"));

        Assert.True(error is IOException or System.Security.Authentication.AuthenticationException, error.ToString());
    }

    [Fact]
    public async Task Tls_without_a_cluster_name_is_closed_when_the_public_side_is_plain_http()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(proxy.Port, "example.com"));
    }

    [Fact]
    public async Task Plain_http_on_the_same_port_reaches_the_front_door()
    {
        using var client = proxy.Client();

        using var response = await client.GetAsync("/alive");

        Assert.True(response.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_client_that_sends_nothing_and_leaves_is_harmless()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", proxy.Port);
        }

        using var client = proxy.Client();
        Assert.True((await client.GetAsync("/alive")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Routes_are_listed_only_with_the_proxy_token()
    {
        using var client = proxy.Client();

        using var anonymous = await client.GetAsync("/api/proxy/routes");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/proxy/routes");
        request.Headers.Add("X-Proxy-Token", ProxyServiceHost.ProxyToken);
        using var authorized = await client.SendAsync(request);

        Assert.Equal(403, (int)anonymous.StatusCode);
        Assert.Equal(200, (int)authorized.StatusCode);
        var body = await authorized.Content.ReadFromJsonAsync<JsonElement>();
        var route = Assert.Single(body.GetProperty("routes").EnumerateArray());
        Assert.Equal("daskgateway-echo", route.GetProperty("sni").GetString());
    }
}

[Collection(ProxyCollection.Name)]
public sealed class SniPortTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task A_separate_sni_port_splices_and_closes_everything_else()
    {
        await using var scheduler = new TlsEchoServer();
        var sniPort = FreePort.Pick();
        await using var proxy = ProxyServiceHost.Start(infrastructure, new Dictionary<string, string?>
        {
            ["Proxy:SniPort"] = sniPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Proxy:SniAddress"] = "127.0.0.1",
        });
        proxy.Routes.Add(ClusterRoute.TryCreate("c2", "bob", scheduler.Address, null)!, DateTimeOffset.UtcNow);

        await using (var tls = await TlsClient.ConnectAsync(sniPort, "daskgateway-c2"))
        {
            await tls.WriteAsync("ping"u8.ToArray());
            var echoed = new byte[4];
            await tls.ReadExactlyAsync(echoed);
            Assert.Equal("ping"u8.ToArray(), echoed);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{sniPort}/") };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/alive"));
        using var front = proxy.Client();
        Assert.True((await front.GetAsync("/alive")).IsSuccessStatusCode);
    }
}
