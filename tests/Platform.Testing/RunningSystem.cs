using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// The whole system, the real AppHost (<typeparamref name="TAppHost"/>, the test project's <c>Projects.Platform_AppHost</c>)
/// started once by Aspire.Hosting.Testing and shared by a test collection: every resource healthy, the public port and
/// each service's own port known, and clients for a named user. Users sign in with the simple password;
/// <see cref="Admin"/> is the one administrator.
/// </summary>
public class RunningSystem<TAppHost> : IAsyncLifetime
    where TAppHost : class
{
    public const string Password = AppHostProcess.SimplePassword;
    public const string Admin = "carol";
    public static readonly IReadOnlyList<string> Services = ["auth", "clusters", "webhooks", "plugins"];

    /// <summary>Every resource of the AppHost; the start waits until each is healthy.</summary>
    public static readonly IReadOnlyList<string> Resources = ["postgres", "authdb", "clustersdb", "webhooksdb", "pluginsdb", "messaging", "objects", "auth", "clusters", "webhooks", "plugins", "proxy"];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    private readonly TestDirectory directory = new("platform-running-system");

    // No cookies (each client names its user on every request) and no connection reuse across users' identities.
    private readonly SocketsHttpHandler handler = new() { UseCookies = false, UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
    private DistributedApplication? app;

    public Uri PublicUri { get; private set; } = null!;

    /// <summary>Each service's own endpoint (auth, clusters, webhooks, plugins): what the Proxy forwards to.</summary>
    public IReadOnlyDictionary<string, Uri> ServiceUris { get; private set; } = new Dictionary<string, Uri>();

    public DistributedApplication App => app ?? throw new InvalidOperationException("The system has not started.");

    /// <summary>Extra AppHost arguments (<c>--Parameters:x=y</c>) a derived fixture adds.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>Where a derived fixture changes resources before the start (a service's environment, say).</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<TAppHost>(
        [
            $"--Platform:DataDirectory={Path.Combine(directory.Path, "data")}",
            $"--Platform:PublicPort={FreePort.Pick()}",
            $"--Parameters:simple-password={Password}",
            $"--Parameters:admins={Admin}",
            .. AppHostSecrets.Arguments(Path.Combine(directory.Path, "data")),
            .. ExtraArguments,
        ]);
        // The resources' own console logs and Aspire's health polling during start-up would bury the test's output.
        builder.Services.AddLogging(logging => logging
            .AddFilter("Platform.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        Configure(builder);
        app = await builder.BuildAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(timeout.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in Resources)
        {
            await notifications.WaitForResourceHealthyAsync(name, timeout.Token);
        }

        // Aspire.Hosting.Testing may move even fixed ports; the endpoints say where each one listens.
        PublicUri = app.GetEndpoint("proxy", "http");
        ServiceUris = Services.ToDictionary(s => s, s => app.GetEndpoint(s, "http"));
    }

    public async Task DisposeAsync()
    {
        handler.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        directory.Dispose();
    }

    /// <summary>A client on the public port with no credentials.</summary>
    public HttpClient Anonymous(TimeSpan? timeout = null) => Client(PublicUri, null, timeout);

    /// <summary>A client on the public port signing in as <paramref name="user"/> with Basic and the simple password.</summary>
    public HttpClient Basic(string user, TimeSpan? timeout = null) =>
        Client(PublicUri, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{Password}"))), timeout);

    /// <summary>A client on the public port presenting a fresh <c>plat_</c> API token of <paramref name="user"/> as Bearer.</summary>
    public async Task<HttpClient> BearerAsync(string user, TimeSpan? timeout = null)
    {
        var token = await CreateTokenAsync(user);
        return Client(PublicUri, new AuthenticationHeaderValue("Bearer", token.Token), timeout);
    }

    /// <summary>Creates an API token for <paramref name="user"/> through <c>POST /api/tokens</c>.</summary>
    public async Task<(Guid Id, string Token)> CreateTokenAsync(string user, string name = "test")
    {
        using var basic = Basic(user);
        using var response = await basic.PostAsJsonAsync(new Uri("/api/tokens", UriKind.Relative), new { name });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/tokens as {user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("id").GetGuid(), body.RootElement.GetProperty("token").GetString()!);
    }

    /// <summary>A client straight to a service's own port (no Proxy, no Auth in front), with no credentials.</summary>
    public HttpClient Service(string service, TimeSpan? timeout = null) => Client(ServiceUris[service], null, timeout);

    private HttpClient Client(Uri baseAddress, AuthenticationHeaderValue? authorization, TimeSpan? timeout)
    {
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }
}
