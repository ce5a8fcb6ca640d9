using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Platform.Processes;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The whole system as the AppHost runs it, driven from outside through the Proxy's one public port only:
/// dask-gateway's HTTP flow (401 first, then Basic), a real Python Dask client reaching the scheduler by TLS SNI,
/// the dashboard route for its owner only, and routes that disappear with the cluster.
/// </summary>
public sealed class PublicPortTests(ITestOutputHelper log) : IDisposable
{
    // As the other end-to-end starts: a CI machine running suites side by side took over 4 min (about 50 s when quiet).
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan Patience = PublicApi.Patience;

    private readonly TestDirectory directory = new("platform-e2e");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task A_user_computes_on_a_cluster_through_the_public_port_and_its_routes_follow_the_cluster_across_a_proxy_restart()
    {
        await using var system = AppHostProcess.Start(Path.Combine(directory.Path, "data"));
        Process? restartedProxy = null;
        try
        {
            await system.WaitForOutputAsync("resources are healthy", StartTimeout);
            var proxyPort = system.PublicPort;
            using var api = new PublicApi(proxyPort);
            var http = api.Http;

            // dask-gateway's client sends its first request without credentials and answers the challenge.
            using (var anonymous = await http.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
            }

            using (var listed = await api.SendAsync(HttpMethod.Get, "/api/v1/clusters/", "alice"))
            {
                Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
                Assert.Equal("{}", await listed.Content.ReadAsStringAsync());
                Assert.Contains(listed.Headers, h => h.Key == "Set-Cookie");
            }

            string name;
            using (var created = await api.SendAsync(HttpMethod.Post, "/api/v1/clusters/", "alice", """{"cluster_options": {}}"""))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                name = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString()!;
            }

            var cluster = await api.WaitForStatusAsync(name, "RUNNING");
            Assert.Equal(
                ["dashboard_route", "name", "options", "start_time", "status", "stop_time", "tls_cert", "tls_key"],
                cluster.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            using (var scaled = await api.SendAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", "alice", """{"count": 1}"""))
            {
                Assert.True(JsonDocument.Parse(await scaled.Content.ReadAsStringAsync()).RootElement.GetProperty("ok").GetBoolean());
            }

            Assert.Contains("result 42", await ComputeThroughProxyAsync(proxyPort, name, cluster));

            using (var others = await api.SendAsync(HttpMethod.Get, $"/api/v1/clusters/{name}", "bob"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, others.StatusCode);
            }

            using (var ownerDashboard = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", "alice"))
            using (var otherDashboard = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", "bob"))
            {
                // Whatever the scheduler's own HTTP server answers (no bokeh here), it came from the scheduler, not the proxy.
                Assert.NotEqual(HttpStatusCode.Forbidden, ownerDashboard.StatusCode);
                Assert.DoesNotContain("has no dashboard here", await ownerDashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.Forbidden, otherDashboard.StatusCode);
            }

            // A Proxy that restarts has missed nothing it can replay: it rebuilds its routes from Clusters.
            restartedProxy = await RestartProxyAsync(http, system);
            Assert.Contains("result 42", await ComputeThroughProxyAsync(proxyPort, name, cluster));

            using (var deleted = await api.SendAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}", "alice"))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            await api.WaitForStatusAsync(name, "STOPPED");
            await Eventually(async () =>
            {
                using var gone = await api.SendAsync(HttpMethod.Get, $"/clusters/{name}/", "alice");
                return gone.StatusCode == HttpStatusCode.NotFound && (await gone.Content.ReadAsStringAsync()).Contains("has no dashboard here", StringComparison.Ordinal);
            }, "the dashboard route to disappear after the cluster stopped");

            // The AppHost returns as soon as it has told DCP to stop; DCP then stops the resources (measured: up to ~50 s).
            var left = await system.StopAsync(UnixSignal.Interrupt, toProcessGroup: false, TimeSpan.FromSeconds(90));
            Assert.Equal(0, await system.Exited);
            Assert.Empty(left);
        }
        finally
        {
            if (restartedProxy is not null)
            {
                restartedProxy.Kill(entireProcessTree: true);
                await restartedProxy.WaitForExitAsync();
                restartedProxy.Dispose();
            }

            log.WriteLine(system.Output);
        }
    }

    /// <summary>Kills the AppHost's Proxy and starts the same build with the same environment on the same port.</summary>
    private static async Task<Process> RestartProxyAsync(HttpClient http, AppHostProcess system)
    {
        // DCP runs `dotnet run`, which runs the built Proxy; the Proxy itself is what a crash takes down.
        var proxyPid = system.RunningProcessIds().Single(pid => ProcessTable.CommandLine(pid) is [var program, ..] && program.EndsWith("/Platform.Proxy", StringComparison.Ordinal));
        var commandLine = ProcessTable.CommandLine(proxyPid);
        var workingDirectory = File.ResolveLinkTarget($"/proc/{proxyPid}/cwd", returnFinalTarget: false)?.FullName ?? Path.GetDirectoryName(commandLine[0])!;
        var environment = File.ReadAllText($"/proc/{proxyPid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);

        UnixSignal.Send(proxyPid, UnixSignal.Kill);
        await Eventually(() => Task.FromResult(!ProcessTable.IsRunning(proxyPid)), "the proxy to die");

        var start = new ProcessStartInfo(commandLine[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in commandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var proxy = Process.Start(start)!;
        proxy.OutputDataReceived += (_, _) => { };
        proxy.ErrorDataReceived += (_, _) => { };
        proxy.BeginOutputReadLine();
        proxy.BeginErrorReadLine();
        await Eventually(async () =>
        {
            try
            {
                using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
                return health.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the restarted proxy to be healthy");
        return proxy;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(250);
        }
    }

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
