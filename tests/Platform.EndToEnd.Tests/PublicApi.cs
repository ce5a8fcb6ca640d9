using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>The Proxy's public port as a user's HTTP client sees it: Basic credentials (the AppHost's simple password) or an API token.</summary>
public sealed class PublicApi(int port) : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
    };

    public void Dispose() => Http.Dispose();

    public static AuthenticationHeaderValue Basic(string user) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{AppHostProcess.SimplePassword}")));

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string user, string? json = null) =>
        SendAsync(method, path, Basic(user), json);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, AuthenticationHeaderValue authorization, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = authorization;
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await Http.SendAsync(request);
    }

    /// <summary>POST /api/v1/clusters/ as <paramref name="user"/>; returns the new cluster's name.</summary>
    public async Task<string> CreateClusterAsync(string user)
    {
        using var created = await SendAsync(HttpMethod.Post, "/api/v1/clusters/", user, """{"cluster_options": {}}""");
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"Creating a cluster answered {(int)created.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("name").GetString()!;
    }

    /// <summary>Polls (with dask-gateway's <c>?wait</c>) until the cluster has <paramref name="status"/>; returns its JSON.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string name, string status, string user = "alice")
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/api/v1/clusters/{name}?wait", user);
            var cluster = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (cluster.TryGetProperty("status", out var current) && current.GetString() == status)
            {
                return cluster;
            }

            // A cluster that ended otherwise will not get there: fail now, with the reason only the platform API gives.
            if (cluster.TryGetProperty("status", out var ended) && ended.GetString() is "FAILED" or "STOPPED")
            {
                using var details = await SendAsync(HttpMethod.Get, $"/api/platform/clusters/{name}", user);
                Assert.Fail($"Cluster {name} ended {ended.GetString()} instead of becoming {status}: {await details.Content.ReadAsStringAsync()}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"Cluster {name} did not become {status}: {cluster}");
            await Task.Delay(250);
        }
    }
}
