using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>
/// The HTTP front door with a minimal Auth stand-in that follows services/Auth/README.md: "alice:pw" and "root:pw"
/// (an admin) are known, anything else gets Auth's 401 with two challenges.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class FrontDoorTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private StandInBackend auth = null!;
    private StandInBackend clusters = null!;
    private StandInBackend dashboard = null!;
    private ProxyServiceHost proxy = null!;
    private int identityChecks;

    /// <summary>What the Clusters stand-in reports on /internal/routes: the proxy's periodic rebuild must find every route a test added.</summary>
    private readonly ConcurrentDictionary<string, object> knownRoutes = new(StringComparer.Ordinal);

    public Task InitializeAsync()
    {
        auth = new StandInBackend(app => app.MapGet("/api/auth/identity", async (HttpContext context) =>
        {
            Interlocked.Increment(ref identityChecks);
            var authorization = context.Request.Headers.Authorization.ToString();
            var user = authorization switch
            {
                "Basic YWxpY2U6cHc=" => "alice",
                "Basic cm9vdDpwdw==" => "root",
                "Basic Ym9iOnNsb3c=" => "bob",
                _ => null,
            };
            if (user == "bob")
            {
                // A slow answer: requests arriving meanwhile find nothing cached yet.
                await Task.Delay(500);
            }

            if (user is null)
            {
                context.Response.Headers.Append("WWW-Authenticate", "Basic realm=\"Platform\"");
                context.Response.Headers.Append("WWW-Authenticate", "jupyterhub");
                return Results.Json(new { error = "Authentication required" }, statusCode: 401);
            }

            context.Response.Headers["X-Platform-Identity"] = $"assertion-for-{user}";
            context.Response.Headers.SetCookie = "platform-session=s1; HttpOnly; SameSite=Lax; Path=/";
            return Results.Json(new { user, groups = Array.Empty<string>(), admin = user == "root" });
        }));
        clusters = new StandInBackend(app =>
        {
            app.MapGet("/internal/routes", () => Results.Json(new { routes = knownRoutes.Values.ToArray() }));
            app.Map("/{**rest}", StandInBackend.EchoAsync);
        });
        dashboard = new StandInBackend(app =>
        {
            app.Map("/ws", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            });
            app.MapGet("/redirect", (HttpContext context) =>
            {
                var target = context.Request.Query["to"].ToString();
                context.Response.Headers.Location = target == "self" ? $"http://{context.Request.Host}/info/main?x=1" : target;
                return Results.StatusCode(302);
            });
            app.Map("/{**rest}", StandInBackend.EchoAsync);
        });
        proxy = ProxyServiceHost.Start(infrastructure, new Dictionary<string, string?>
        {
            ["services:auth:http:0"] = auth.Address.ToString(),
            ["services:clusters:http:0"] = clusters.Address.ToString(),

            // Rebuilds run during the tests, so they prove a rebuild keeps the routes Clusters reports.
            ["Proxy:Routes:ResyncInterval"] = "00:00:00.200",
        });
        AddRoute("c1", "alice", dashboard.Address);
        return Task.CompletedTask;
    }

    private void AddRoute(string name, string owner, Uri dashboardAddress)
    {
        knownRoutes[name] = new { name, owner, schedulerAddress = "tls://127.0.0.1:1", dashboardAddress = dashboardAddress.ToString() };
        proxy.Routes.Add(ClusterRoute.TryCreate(name, owner, "tls://127.0.0.1:1", dashboardAddress.ToString())!, DateTimeOffset.UtcNow);
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await auth.DisposeAsync();
        await clusters.DisposeAsync();
        await dashboard.DisposeAsync();
    }

    [Fact]
    public async Task Auths_401_and_its_challenges_reach_the_client_unchanged()
    {
        using var client = proxy.Client();

        using var response = await client.GetAsync("/api/v1/clusters/");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["Basic realm=\"Platform\"", "jupyterhub"], response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Equal("Authentication required", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Client_identity_headers_are_stripped_and_auths_assertion_attached()
    {
        using var client = proxy.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/clusters/?status=RUNNING");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");
        request.Headers.Add("X-Platform-Identity", "forged");
        request.Headers.Add("X-Forwarded-User", "root");
        request.Headers.Add("X-Proxy-Token", "guess");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.Content.ReadFromJsonAsync<JsonElement>();
        var headers = echo.GetProperty("headers");
        Assert.Equal("/api/v1/clusters/", echo.GetProperty("path").GetString());
        Assert.Equal("?status=RUNNING", echo.GetProperty("query").GetString());
        Assert.Equal("assertion-for-alice", headers.GetProperty("x-platform-identity").GetString());
        Assert.False(headers.TryGetProperty("x-forwarded-user", out _));
        Assert.False(headers.TryGetProperty("x-proxy-token", out _));
        Assert.Contains("platform-session=s1", response.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_are_cached_briefly_per_credential()
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");
        var before = identityChecks;

        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync("/api/v1/options")).EnsureSuccessStatusCode();
        }

        Assert.True(identityChecks - before <= 1, $"{identityChecks - before} identity checks");
    }

    [Fact]
    public async Task Concurrent_requests_with_one_credential_ask_auth_once()
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "Ym9iOnNsb3c=");
        var before = identityChecks;

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.GetAsync("/api/v1/options")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(responses, r => r.Dispose());
        Assert.Equal(1, identityChecks - before);
    }

    [Fact]
    public async Task Concurrent_refusals_are_each_answered_with_auths_challenge()
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "d3Jvbmc6d3Jvbmc=");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/api/v1/options")));

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(2, response.Headers.WwwAuthenticate.Count);
            Assert.Equal("Authentication required", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            response.Dispose();
        }
    }

    [Fact]
    public async Task Health_and_version_need_no_credentials()
    {
        using var client = proxy.Client();
        var before = identityChecks;

        using var response = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, identityChecks);
    }

    [Fact]
    public async Task A_dashboard_is_served_to_its_owner_with_the_prefix_stripped_and_no_credentials()
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");

        using var response = await client.GetAsync("/clusters/c1/status?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/status", echo.GetProperty("path").GetString());
        Assert.Equal("?x=1", echo.GetProperty("query").GetString());
        var headers = echo.GetProperty("headers");
        Assert.False(headers.TryGetProperty("authorization", out _));
        Assert.False(headers.TryGetProperty("x-platform-identity", out _));
    }

    [Fact]
    public async Task A_dashboards_root_with_its_trailing_slash_reaches_the_dashboards_root()
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");

        using var response = await client.GetAsync("/clusters/c1/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_dashboard_named_without_its_trailing_slash_is_redirected_once_to_it()
    {
        using var client = proxy.Client();

        using var response = await client.GetAsync("/clusters/c1?tab=1");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/clusters/c1/?tab=1", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/status?tab=1", "/clusters/c1/status?tab=1")]
    [InlineData("self", "/clusters/c1/info/main?x=1")]
    [InlineData("status", "status")]
    [InlineData("https://example.org/x", "https://example.org/x")]
    public async Task A_dashboards_redirects_stay_under_its_prefix(string location, string expected)
    {
        using var client = proxy.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");

        using var response = await client.GetAsync($"/clusters/c1/redirect?to={Uri.EscapeDataString(location)}");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_dashboard_is_served_to_admins_but_not_to_other_users()
    {
        await using var bobCluster = new StandInBackend(app => app.Map("/{**rest}", StandInBackend.EchoAsync));
        AddRoute("bobs", "bob", bobCluster.Address);
        using var alice = proxy.Client();
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "YWxpY2U6cHc=");
        using var root = proxy.Client();
        root.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "cm9vdDpwdw==");

        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/clusters/bobs/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/clusters/bobs/status")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_dashboard_is_a_json_404()
    {
        using var client = proxy.Client();

        using var response = await client.GetAsync("/clusters/nosuch/status");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("nosuch", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_websockets_pass_through()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Basic YWxpY2U6cHc=");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/clusters/c1/ws"), CancellationToken.None);

        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[16];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);

        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
    }
}
