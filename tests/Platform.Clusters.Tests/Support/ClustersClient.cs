using System.Net;
using System.Text.Json;
using Platform.Testing;

namespace Platform.Clusters.Tests.Support;

/// <summary>HTTP calls to the Clusters service as one user, each carrying a fresh identity assertion.</summary>
public sealed class ClustersClient(HttpClient http, TestIdentity identity, string user, bool admin = false, params string[] groups)
    : ServiceApiClient(http, identity, user, admin, groups)
{
    public async Task<string> CreateAsync(object? clusterOptions = null)
    {
        var created = await JsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = clusterOptions ?? new { } }, HttpStatusCode.Created);
        return created.GetProperty("name").GetString()!;
    }

    public Task<JsonElement> GetAsync(string name, bool wait = false) => JsonAsync(HttpMethod.Get, $"/api/v1/clusters/{name}{(wait ? "?wait" : "")}");

    public Task<JsonElement> DetailsAsync(string name) => JsonAsync(HttpMethod.Get, $"/api/platform/clusters/{name}");

    public Task<JsonElement> ScaleAsync(string name, int count) => JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count });

    public Task<JsonElement> AdaptAsync(string name, int? minimum, int? maximum, bool active = true) =>
        JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/adapt", new { minimum, maximum, active });

    public async Task StopAsync(string name)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>
    /// Follows the cluster with <c>?wait</c> (as dask-gateway's client does) until it reaches <paramref name="status"/>;
    /// a cluster that ends otherwise fails the wait at once, with its failure reason and timeline.
    /// </summary>
    public Task<JsonElement> WaitForStatusAsync(string name, string status, TimeSpan? timeout = null) =>
        Eventually.GetAsync(
            async () =>
            {
                var cluster = await GetAsync(name, wait: true);
                var current = cluster.GetProperty("status").GetString();
                if (current is "FAILED" or "STOPPED" && current != status)
                {
                    Assert.Fail($"Cluster {name} ended {current} instead of becoming {status}: {await DetailsAsync(name)}");
                }

                return cluster;
            },
            c => c.GetProperty("status").GetString() == status,
            timeout ?? TimeSpan.FromSeconds(90),
            $"cluster {name} to be {status}");

    public Task<JsonElement> WaitForDetailsAsync(string name, Func<JsonElement, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.GetAsync(() => DetailsAsync(name), done, timeout ?? TimeSpan.FromSeconds(90), what);

    public static int RunningWorkers(JsonElement details) => details.GetProperty("workers").GetProperty("running").GetInt32();
}
