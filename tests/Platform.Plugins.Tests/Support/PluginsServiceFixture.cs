using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Plugins.Loading;
using Platform.Testing;

namespace Platform.Plugins.Tests.Support;

/// <summary>
/// One Plugins service with its own database, object-store folder and queue names (so test classes running at the same
/// time do not share a queue), trusting the test identity key. <see cref="RestartAsync"/> keeps all three.
/// </summary>
public class PluginsServiceFixture : IAsyncLifetime
{
    public InfrastructureFixture Infrastructure { get; } = new();
    public TestIdentity Identity { get; } = new();
    public TestDirectory Objects { get; } = new("plugin-objects");
    public string ServiceName { get; } = $"plugins-tests-{Guid.NewGuid().ToString("N")[..8]}";
    public string ConnectionString { get; private set; } = "";
    public PluginsServiceHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Small enough that a test can exceed it cheaply; the real packages are ~20 KB.</summary>
    public const long MaxPackageBytes = 512 * 1024;

    protected virtual Dictionary<string, string?> Settings => new(Identity.Configuration)
    {
        ["ConnectionStrings:pluginsdb"] = ConnectionString,
        ["ConnectionStrings:objects"] = $"Folder={Objects.Path}",
        ["Platform:ServiceName"] = ServiceName,
        ["Plugins:MaxPackageBytes"] = MaxPackageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Plugins:PollInterval"] = "00:00:00.200",
        ["Plugins:Validators:Timeout"] = "00:00:03",
    };

    public PluginHost Plugins => Host.Services.GetRequiredService<PluginHost>();

    public virtual async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        ConnectionString = await Infrastructure.CreateDatabaseAsync("pluginsdb");
        Start();
    }

    public async Task StopAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public void Start()
    {
        Host = PluginsServiceHost.Start(Infrastructure, Settings);
        Http = Host.CreateClient();
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        Start();
    }

    /// <summary>The Plugins API as <paramref name="user"/> (the administrator unless told otherwise).</summary>
    public ServiceApiClient Api(string user = "admin", bool admin = true) => new(Http, Identity, user, admin);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string user = "admin", bool admin = true) =>
        Api(user, admin).SendAsync(method, path, content);

    public Task<JsonElement> JsonAsync(HttpMethod method, string path, HttpContent? content = null, HttpStatusCode expected = HttpStatusCode.OK, string user = "admin", bool admin = true) =>
        Api(user, admin).JsonAsync(method, path, content, expected);

    public Task<JsonElement> UploadAsync(byte[] package, HttpStatusCode expected = HttpStatusCode.Created, string user = "admin", bool admin = true)
    {
        var content = new ByteArrayContent(package);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return JsonAsync(HttpMethod.Post, "/api/plugins", content, expected, user, admin);
    }

    public Task<JsonElement> EnableAsync(string name) => JsonAsync(HttpMethod.Post, $"/api/plugins/{name}/enable");

    public Task<JsonElement> DisableAsync(string name) => JsonAsync(HttpMethod.Post, $"/api/plugins/{name}/disable");

    /// <summary>Installs and enables a package unless a plugin of that name is already active.</summary>
    public async Task EnsureEnabledAsync(string name, Func<Task<byte[]>> package)
    {
        if (Plugins.Find(name) is not null)
        {
            return;
        }

        using var existing = await SendAsync(HttpMethod.Get, $"/api/plugins/{name}");
        if (existing.StatusCode == HttpStatusCode.NotFound)
        {
            await UploadAsync(await package());
        }

        await EnableAsync(name);
    }

    /// <summary>Publishes a cluster event on the real bus, as Clusters' outbox relay does.</summary>
    public Task PublishAsync<T>(T message)
        where T : class => Host.Services.GetRequiredService<IBus>().Publish(message);

    public Task<JsonElement> RunsAsync(string plugin, string cluster) => JsonAsync(HttpMethod.Get, $"/api/plugins/{plugin}/runs?cluster={cluster}");

    /// <summary>Waits until the plugin's runs for the cluster satisfy <paramref name="done"/>.</summary>
    public async Task<JsonElement[]> WaitForRunsAsync(string plugin, string cluster, Func<JsonElement[], bool> done, string what, TimeSpan? timeout = null) =>
        await Eventually.GetAsync(
            async () => (await RunsAsync(plugin, cluster)).GetProperty("runs").EnumerateArray().ToArray(),
            done,
            timeout ?? TimeSpan.FromSeconds(30),
            what);

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        Identity.Dispose();
        Objects.Dispose();
    }
}
