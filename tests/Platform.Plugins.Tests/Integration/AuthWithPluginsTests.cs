extern alias auth;

using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Plugins.Loading;
using Platform.Plugins.Tests.Support;
using AuthProgram = auth::Program;

namespace Platform.Plugins.Tests.Integration;

/// <summary>
/// The real Auth service next to the real Plugins service, sharing the broker and the object store: Auth hears the
/// registry's events and loads or unloads the badge plugin's authenticator while it runs.
/// </summary>
public sealed class AuthWithPluginsFixture : PluginsServiceFixture
{
    public const string Pin = "2468";

    public WebApplicationFactory<AuthProgram> Auth { get; private set; } = null!;
    public HttpClient AuthHttp { get; private set; } = null!;

    public PluginHost AuthPlugins => Auth.Services.GetRequiredService<PluginHost>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = await Infrastructure.CreateDatabaseAsync("authdb"),
            ["ConnectionStrings:messaging"] = Infrastructure.RabbitMq.ConnectionString,
            ["ConnectionStrings:objects"] = $"Folder={Objects.Path}",
            ["Platform:ServiceName"] = $"auth-{ServiceName}",
            ["Messaging:Outbox:PollInterval"] = "00:00:00.200",
            ["Auth:Type"] = "simple,badge",
            ["Auth:Simple:Password"] = "simple-password",
            // The test polls with credentials until the plugin is loaded; those refusals must not lock the client out.
            ["Auth:RateLimit:ClientFailures"] = "100000",
            ["Plugins:Settings:badge:Pin"] = Pin,
        };
        Auth = new WebApplicationFactory<AuthProgram>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
        AuthHttp = Auth.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
    }

    /// <summary>The Proxy's forward-auth question to Auth; the answer's status and error (if any).</summary>
    public async Task<(HttpStatusCode Status, string? Error, string? Cookie)> IdentifyAsync(string? authorization, string? cookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/identity");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }

        using var response = await AuthHttp.SendAsync(request);
        var error = response.IsSuccessStatusCode ? null : (await response.Content.ReadFromJsonAsync<ErrorBody>())?.Error;
        var setCookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault()?.Split(';')[0] : null;
        return (response.StatusCode, error, setCookie);
    }

    public override async Task DisposeAsync()
    {
        AuthHttp.Dispose();
        await Auth.DisposeAsync();
        await base.DisposeAsync();
    }

    public sealed record ErrorBody(string Error);
}

public sealed class AuthWithPluginsTests(AuthWithPluginsFixture service) : IClassFixture<AuthWithPluginsFixture>
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);
    private readonly string badge = $"Badge dora:{AuthWithPluginsFixture.Pin}";

    [Fact]
    public async Task An_uploaded_authenticator_plugin_is_accepted_by_auth_without_a_restart_and_refused_again_once_disabled()
    {
        var before = await service.IdentifyAsync(badge);
        Assert.Equal(HttpStatusCode.Unauthorized, before.Status);
        Assert.Contains("badge is not loaded", before.Error, StringComparison.Ordinal);

        var installed = await service.UploadAsync(await PluginPackages.BadgeAsync());
        Assert.Equal(["badge"], installed.GetProperty("capabilities").GetProperty("authenticators").EnumerateArray().Select(a => a.GetString()));
        await service.EnableAsync("badge");
        var accepted = await Eventually.GetAsync(() => service.IdentifyAsync(badge), r => r.Status == HttpStatusCode.OK, EventTimeout, "Auth to accept badge credentials");
        Assert.NotNull(accepted.Cookie);

        await service.DisableAsync("badge");
        var refused = await Eventually.GetAsync(() => service.IdentifyAsync(badge), r => r.Status == HttpStatusCode.Unauthorized, EventTimeout, "Auth to refuse badge credentials");
        Assert.Contains("badge is not loaded", refused.Error, StringComparison.Ordinal);

        // Fail closed for the plugin's users too: the session it opened ends with it, and its load context goes away.
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.IdentifyAsync(null, accepted.Cookie)).Status);
        var context = service.AuthPlugins.UnloadedContext("badge", "1.0.0")!;
        await Eventually.GetAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return Task.FromResult(context.IsAlive);
            },
            alive => !alive,
            TimeSpan.FromSeconds(20),
            "the badge plugin's load context in Auth to be collected");

        await service.EnableAsync("badge");
        await Eventually.GetAsync(() => service.IdentifyAsync(badge), r => r.Status == HttpStatusCode.OK, EventTimeout, "Auth to accept badge credentials after re-enabling");
        Assert.Equal(HttpStatusCode.OK, (await service.IdentifyAsync("Basic " + Convert.ToBase64String("erin:simple-password"u8.ToArray()))).Status);
    }
}
