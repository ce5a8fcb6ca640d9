using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Platform.Faults.Tests;

/// <summary>
/// One user of the public port, retrying as a user would while a part of the system is down: a refused connection,
/// a 5xx, a 401 for valid credentials (Auth unreachable) or a timeout is tried again until <see cref="Patience"/>.
/// </summary>
public sealed class GatewayUser(Uri publicAddress, string name, string password) : IDisposable
{
    /// <summary>As long as the suite waits for a killed part to be healthy again (a restart on a loaded 2-core CI machine
    /// took over 120 s): a user's request waits out the restart rather than failing the run for the machine's load.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private readonly HttpClient http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = publicAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private int retries;

    public string Name { get; } = name;

    /// <summary>Requests that were tried again because the system did not answer them properly.</summary>
    public int Retries => retries;

    public async Task<string> CreateClusterAsync()
    {
        var (_, body) = await SendAsync(HttpMethod.Post, "/api/v1/clusters/", """{"cluster_options": {}}""", s => s == HttpStatusCode.Created);
        return body.GetProperty("name").GetString()!;
    }

    /// <summary>Scales, waiting while the cluster is still starting (409); false if it is no longer active.</summary>
    public async Task<bool> ScaleAsync(string cluster, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var (status, _) = await SendAsync(HttpMethod.Post, $"/api/v1/clusters/{cluster}/scale", $$"""{"count": {{count}}}""", s => s is HttpStatusCode.OK or HttpStatusCode.Conflict);
            if (status == HttpStatusCode.OK)
            {
                return true;
            }

            if (await StatusAsync(cluster) is not ("PENDING" or "RUNNING") || DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(500);
        }
    }

    public async Task StopClusterAsync(string cluster) =>
        await SendAsync(HttpMethod.Delete, $"/api/v1/clusters/{cluster}", null, s => s == HttpStatusCode.NoContent);

    /// <summary>The cluster's Dask-Gateway JSON (waiting up to 20 s for a change when <paramref name="wait"/>).</summary>
    public async Task<JsonElement> GetClusterAsync(string cluster, bool wait = false)
    {
        var (_, body) = await SendAsync(HttpMethod.Get, $"/api/v1/clusters/{cluster}{(wait ? "?wait" : "")}", null, s => s == HttpStatusCode.OK);
        return body;
    }

    /// <summary>The platform's own JSON for the cluster (owner, workers, failure reason).</summary>
    public async Task<JsonElement> DetailsAsync(string cluster)
    {
        var (_, body) = await SendAsync(HttpMethod.Get, $"/api/platform/clusters/{cluster}", null, s => s == HttpStatusCode.OK);
        return body;
    }

    public async Task<string> StatusAsync(string cluster) => (await GetClusterAsync(cluster)).GetProperty("status").GetString()!;

    /// <summary>Waits until the cluster leaves PENDING; returns its state then.</summary>
    public async Task<string> WaitWhilePendingAsync(string cluster)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var status = (await GetClusterAsync(cluster, wait: true)).GetProperty("status").GetString()!;
            if (status != "PENDING" || DateTime.UtcNow > deadline)
            {
                return status;
            }
        }
    }

    /// <summary>Whether the Proxy routes the cluster's dashboard path (to whatever the scheduler answers there).</summary>
    public async Task<bool> DashboardRoutedAsync(string cluster)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/clusters/{cluster}/", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Name}:{password}")));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return !(response.StatusCode == HttpStatusCode.NotFound && text.Contains("has no dashboard here", StringComparison.Ordinal));
    }

    /// <summary>Every cluster of this user, whatever its state, by name.</summary>
    public async Task<Dictionary<string, JsonElement>> ListAllAsync()
    {
        var (_, body) = await SendAsync(HttpMethod.Get, "/api/v1/clusters/?status=PENDING,RUNNING,STOPPING,STOPPED,FAILED", null, s => s == HttpStatusCode.OK);
        return body.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    /// <summary>A request through the public port as this user; answers other than expected or transient fail the test.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json, Func<HttpStatusCode, bool> expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = "";
        while (true)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Name}:{password}")));
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            try
            {
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (expected(response.StatusCode))
                {
                    return (response.StatusCode, text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
                }

                last = $"{(int)response.StatusCode} {text}";
                if ((int)response.StatusCode < 500 && response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.RequestTimeout))
                {
                    throw new Xunit.Sdk.XunitException($"{method} {path} as {Name} answered {last}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{method} {path} as {Name} got no proper answer within {Patience.TotalSeconds:0} s; last: {last}");
            }

            Interlocked.Increment(ref retries);
            await Task.Delay(500);
        }
    }

    public void Dispose() => http.Dispose();
}
