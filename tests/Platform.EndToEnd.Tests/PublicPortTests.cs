using System.Net;
using System.Text.Json;
using Platform.Processes;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The whole system as the AppHost runs it, driven from outside through the Proxy's one public port only:
/// dask-gateway's HTTP flow (401 first, then Basic), a real Python Dask client reaching the scheduler by TLS SNI,
/// the dashboard route for its owner only, and routes that disappear with the cluster and survive a Proxy crash.
/// Its users (dave, and bob as the other user) are its own in the shared system.
/// </summary>
[Collection(SharedSystemCollection.Name)]
public sealed class PublicPortTests(SharedSystemFixture shared)
{
    private const string Owner = "dave";
    private static readonly TimeSpan Patience = PublicApi.Patience;

    // The restart policy waits 1 s, then DCP runs `dotnet run` again: seconds when quiet, minutes at a load average of 40.
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_user_computes_on_a_cluster_through_the_public_port_and_its_routes_follow_the_cluster_across_a_proxy_crash_and_restart()
    {
        var system = shared.System;
        var proxyPort = system.PublicPort;
        var api = shared.Api;
        var http = api.Http;

        // dask-gateway's client sends its first request without credentials and answers the challenge.
        using (var anonymous = await http.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }

        using (var listed = await api.SendAsync(HttpMethod.Get, "/api/v1/clusters/", Owner))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.Equal("{}", await listed.Content.ReadAsStringAsync());
            Assert.Contains(listed.Headers, h => h.Key == "Set-Cookie");
        }

        string name;
        using (var created = await api.SendAsync(HttpMethod.Post, "/api/v1/clusters/", Owner, """{"cluster_options": {}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            name = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString()!;
        }

        var cluster = await api.WaitForStatusAsync(name, "RUNNING", Owner);
        Assert.Equal(
            ["dashboard_route", "name", "options", "start_time", "status", "stop_time", "tls_cert", "tls_key"],
            cluster.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        using (var scaled = await api.SendAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", Owner, """{"count": 1}"""))
        {
            Assert.True(JsonDocument.Parse(await scaled.Content.ReadAsStringAsync()).RootElement.GetProperty("ok").GetBoolean());
        }

        Assert.Contains("result 42", await ComputeThroughProxyAsync(proxyPort, name, cluster));

        using (var others = await api.SendAsync(HttpMethod.Get, $"/api/v1/clusters/{name}", "bob"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, others.StatusCode);
        }

        using (var ownerDashboard = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", Owner))
        using (var otherDashboard = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", "bob"))
        {
            // Whatever the scheduler's own HTTP server answers (no bokeh here), it came from the scheduler, not the proxy.
            Assert.NotEqual(HttpStatusCode.Forbidden, ownerDashboard.StatusCode);
            Assert.DoesNotContain("has no dashboard here", await ownerDashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, otherDashboard.StatusCode);
        }

        // A Proxy that crashes is started again by the AppHost's restart policy and has missed nothing it can replay:
        // it rebuilds its routes from Clusters.
        await CrashProxyAsync(http, system);
        Assert.Contains("result 42", await ComputeThroughProxyAsync(proxyPort, name, cluster));

        using (var deleted = await api.SendAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}", Owner))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await api.WaitForStatusAsync(name, "STOPPED", Owner);
        await Eventually.TrueAsync(async () =>
        {
            using var gone = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", Owner);
            return gone.StatusCode == HttpStatusCode.NotFound && (await gone.Content.ReadAsStringAsync()).Contains("has no dashboard here", StringComparison.Ordinal);
        }, Patience, "the dashboard route to disappear after the cluster stopped");
    }

    /// <summary>SIGKILLs the AppHost's Proxy and waits until the restart policy has a new one answering on the public port.</summary>
    private static async Task CrashProxyAsync(HttpClient http, AppHostProcess system)
    {
        // DCP runs `dotnet run`, which runs the built Proxy; the Proxy itself is what a crash takes down.
        var proxyPid = ProxyProcessIds(system).Single();
        UnixSignal.Send(proxyPid, UnixSignal.Kill);
        await Eventually.TrueAsync(() => !ProcessTable.IsRunning(proxyPid), Patience, "the proxy to die");

        await Eventually.TrueAsync(async () =>
        {
            if (!ProxyProcessIds(system).Any(pid => pid != proxyPid))
            {
                return false;
            }

            try
            {
                using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
                return health.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, RestartTimeout, "the restart policy's new proxy to be healthy");
    }

    private static IEnumerable<int> ProxyProcessIds(AppHostProcess system) =>
        system.RunningProcessIds().Where(pid => ProcessTable.CommandLine(pid) is [var program, ..] && program.EndsWith("/Platform.Proxy", StringComparison.Ordinal));

    /// <summary>Through the public port by SNI; the route may lag RUNNING by an event, so a refused first try is retried.</summary>
    private static async Task<string> ComputeThroughProxyAsync(int proxyPort, string name, JsonElement cluster)
    {
        const string Compute = """
        client.wait_for_workers(1, timeout=60)
        print("result", client.submit(lambda x: x * 7, 6).result(timeout=30))
        """;
        var failures = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await DaskClient.RunAsync(cluster, $"tls://127.0.0.1:{proxyPort}", Compute, sniName: name, timeout: Patience);
            }
            catch (Xunit.Sdk.XunitException e)
            {
                failures.Add(e.Message);
                await Task.Delay(1000);
            }
        }

        throw new Xunit.Sdk.XunitException("The Dask client never computed through the proxy:\n" + string.Join("\n---\n", failures));
    }
}
