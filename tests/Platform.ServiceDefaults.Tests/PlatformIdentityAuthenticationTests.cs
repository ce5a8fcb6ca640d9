using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

public sealed class PlatformIdentityAuthenticationTests : IAsyncLifetime
{
    private readonly TestIdentity identity = new();
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        app = await TestApp.StartAsync(identity.Configuration, a =>
        {
            a.MapGet("/whoami", (HttpContext context) => context.GetPlatformIdentity() is { } who ? Results.Ok(who) : Results.Ok(new PlatformIdentity("anonymous", [], false)));
            a.MapGet("/mine", (HttpContext context) => Results.Ok(context.GetPlatformIdentity())).RequireAuthorization();
            a.MapGet("/admin", () => Results.Ok("secret")).RequireAuthorization(PlatformPolicies.Admin);
        });
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        identity.Dispose();
    }

    [Fact]
    public async Task A_request_with_a_valid_assertion_is_seen_as_that_user()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mine");
        var (name, value) = identity.Header("alice", false, "science");
        request.Headers.Add(name, value);

        using var response = await app.Client().SendAsync(request);

        response.EnsureSuccessStatusCode();
        var who = await response.Content.ReadFromJsonAsync<PlatformIdentity>();
        Assert.Equal("alice", who!.User);
        Assert.Equal(["science"], who.Groups);
    }

    [Theory]
    [InlineData("X-Forwarded-User")]
    [InlineData("X-Platform-User")]
    [InlineData("Remote-User")]
    [InlineData("X-Auth-Request-User")]
    public async Task Unsigned_identity_headers_are_ignored(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mine");
        request.Headers.Add(header, "admin");

        using var response = await app.Client().SendAsync(request);
        using var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        whoami.Headers.Add(header, "admin");
        var who = await (await app.Client().SendAsync(whoami)).Content.ReadFromJsonAsync<PlatformIdentity>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("anonymous", who!.User);
    }

    [Fact]
    public async Task A_forged_assertion_gets_401_with_a_json_error()
    {
        using var forger = new TestIdentity();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mine");
        request.Headers.Add(PlatformIdentity.HeaderName, forger.Mint("alice", admin: true));

        using var response = await app.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_admin_is_forbidden_from_admin_endpoints_and_an_admin_is_not()
    {
        using var asUser = new HttpRequestMessage(HttpMethod.Get, "/admin");
        var (name, value) = identity.Header("bob");
        asUser.Headers.Add(name, value);
        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, "/admin");
        (name, value) = identity.Header("root", admin: true);
        asAdmin.Headers.Add(name, value);

        using var refused = await app.Client().SendAsync(asUser);
        using var allowed = await app.Client().SendAsync(asAdmin);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public void The_data_protection_key_ring_is_not_loaded_at_start_since_nothing_protects_data_with_it()
    {
        Assert.DoesNotContain(app.Services.GetServices<IHostedService>(), s => s.GetType().Name == "DataProtectionHostedService");
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s.GetType().Name == "GenericWebHostService");
    }
}
