using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

/// <summary>A service that opts out of the platform identity (the Proxy) never trusts one, however well signed.</summary>
public sealed class WithoutPlatformIdentityTests : IAsyncLifetime
{
    private readonly TestIdentity identity = new();
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        app = await TestApp.StartAsync(
            identity.Configuration,
            a => a.MapGet("/whoami", (HttpContext context) => context.GetPlatformIdentity()?.User ?? "nobody"),
            verifyPlatformIdentity: false);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        identity.Dispose();
    }

    [Fact]
    public async Task A_validly_signed_assertion_is_not_read()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        var (name, value) = identity.Header("alice", true);
        request.Headers.Add(name, value);

        using var response = await app.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nobody", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_authentication_is_registered_and_health_still_answers()
    {
        Assert.Null(app.Services.GetService<IAuthenticationSchemeProvider>());

        using var response = await app.Client().GetAsync(new Uri("/alive", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
