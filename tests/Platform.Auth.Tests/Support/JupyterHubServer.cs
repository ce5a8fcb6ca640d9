using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Hosting.Infrastructure;
using Platform.Testing;
using Platform.Testing.Servers;

namespace Platform.Auth.Tests.Support;

/// <summary>
/// A real JupyterHub 3 (Debian's package) with its configurable-http-proxy, on free loopback ports, DummyAuthenticator,
/// a sqlite database in a temporary folder, and a service whose API token holds the admin role for minting users and tokens.
/// Users' default role also grants access to the dask-gateway service, so tokens carry that scope unless restricted.
/// </summary>
public sealed class JupyterHubServer : IAsyncLifetime
{
    public const string GatewayService = "dask-gateway";
    public const string GatewayScope = "access:services!service=" + GatewayService;

    private readonly TestDirectory directory = new("jupyterhub");
    private readonly string serviceToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private ChildProcess? process;
    private HttpClient admin = null!;

    /// <summary>The Hub's public address (through its proxy), what Auth is configured with.</summary>
    public Uri Url { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var (proxyPort, hubPort, proxyApiPort) = (FreePort.Pick(), FreePort.Pick(), FreePort.Pick());
        var config = Path.Combine(directory.Path, "jupyterhub_config.py");
        await File.WriteAllTextAsync(config, $$"""
            c.JupyterHub.ip = '127.0.0.1'
            c.JupyterHub.port = {{proxyPort}}
            c.JupyterHub.hub_ip = '127.0.0.1'
            c.JupyterHub.hub_port = {{hubPort}}
            c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{{proxyApiPort}}'
            c.ConfigurableHTTPProxy.pid_file = '{{directory.Path}}/proxy.pid'
            c.JupyterHub.pid_file = '{{directory.Path}}/jupyterhub.pid'
            c.JupyterHub.authenticator_class = 'dummy'
            c.JupyterHub.db_url = 'sqlite:///{{directory.Path}}/jupyterhub.sqlite'
            c.JupyterHub.cookie_secret_file = '{{directory.Path}}/cookie_secret'
            c.JupyterHub.services = [{'name': 'platform-tests', 'api_token': '{{serviceToken}}'}, {'name': '{{GatewayService}}'}]
            c.JupyterHub.load_roles = [
                {'name': 'admin', 'services': ['platform-tests']},
                {'name': 'user', 'scopes': ['self', '{{GatewayScope}}']},
            ]
            """);

        process = ChildProcess.Start(new ChildProcessStartInfo("/usr/bin/jupyterhub", ["-f", config])
        {
            WorkingDirectory = directory.Path,
            Environment = new Dictionary<string, string?>
            {
                ["NODE_PATH"] = "/usr/share/nodejs",
                ["CONFIGPROXY_AUTH_TOKEN"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            },
            TailLines = 60,
        });

        Url = new Uri($"http://127.0.0.1:{proxyPort}/");
        admin = new HttpClient { BaseAddress = new Uri(Url, "hub/api/"), Timeout = TimeSpan.FromSeconds(10) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", serviceToken);
        await WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        admin.Dispose();
        if (process is not null)
        {
            // SIGTERM lets the Hub stop its proxy; whatever is left in its process group is then killed by PID.
            await process.StopAsync(TimeSpan.FromSeconds(10));
            await process.DisposeAsync();
        }

        directory.Dispose();
    }

    public async Task CreateUserAsync(string name, bool admin = false, params string[] groups)
    {
        using (var created = await this.admin.PostAsJsonAsync($"users/{name}", new JsonObject()))
        {
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                created.EnsureSuccessStatusCode();
            }
        }

        if (admin)
        {
            using var patch = await this.admin.PatchAsJsonAsync($"users/{name}", new JsonObject { ["admin"] = true });
            patch.EnsureSuccessStatusCode();
        }

        foreach (var group in groups)
        {
            using var createGroup = await this.admin.PostAsJsonAsync($"groups/{group}", new JsonObject());
            using var addMember = await this.admin.PostAsJsonAsync($"groups/{group}/users", new JsonObject { ["users"] = new JsonArray(name) });
            addMember.EnsureSuccessStatusCode();
        }
    }

    /// <summary>Mints a token for <paramref name="user"/> through the Hub's REST API; null scopes means the user's default.</summary>
    public async Task<(string Id, string Token)> CreateTokenAsync(string user, params string[]? scopes)
    {
        var body = new JsonObject { ["note"] = "platform auth tests" };
        if (scopes is { Length: > 0 })
        {
            body["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]);
        }

        using var response = await admin.PostAsJsonAsync($"users/{user}/tokens", body);
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (token!["id"]!.GetValue<string>(), token["token"]!.GetValue<string>());
    }

    public async Task RevokeTokenAsync(string user, string tokenId)
    {
        using var response = await admin.DeleteAsync($"users/{user}/tokens/{tokenId}");
        response.EnsureSuccessStatusCode();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process!.HasExited)
            {
                throw new InvalidOperationException("JupyterHub exited during start-up:\n" + string.Join('\n', process.Tail.Lines));
            }

            try
            {
                using var response = await admin.GetAsync("users");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("JupyterHub did not become ready within 90 s:\n" + string.Join('\n', process!.Tail.Lines));
    }
}

[CollectionDefinition(Name)]
public sealed class JupyterHubCollection : ICollectionFixture<JupyterHubServer>, ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "JupyterHub";
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "Infrastructure";
}
