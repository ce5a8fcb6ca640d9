using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Platform.Clusters.Backends;
using Platform.Clusters.Tests.Support;
using Platform.Testing;

namespace Platform.Clusters.Tests.Integration;

/// <summary>Clusters through their whole life, with real dask-scheduler and dask-worker processes.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ClusterLifecycleTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task A_created_cluster_becomes_RUNNING_and_reports_exactly_the_dask_gateway_fields()
    {
        var alice = service.As("lifecycle-alice");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var name = await alice.CreateAsync(new { worker_cores = 1, description = "first" });

        var cluster = await alice.WaitForStatusAsync(name, "RUNNING");

        Assert.Equal(
            ["dashboard_route", "name", "options", "start_time", "status", "stop_time", "tls_cert", "tls_key"],
            cluster.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(name, cluster.GetProperty("name").GetString());
        Assert.Equal($"/clusters/{name}/status", cluster.GetProperty("dashboard_route").GetString());
        Assert.InRange(cluster.GetProperty("start_time").GetInt64(), before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(JsonValueKind.Null, cluster.GetProperty("stop_time").ValueKind);
        Assert.Equal("first", cluster.GetProperty("options").GetProperty("description").GetString());
        Assert.Equal(0.5, cluster.GetProperty("options").GetProperty("worker_memory").GetDouble());
        using var certificate = X509Certificate2.CreateFromPem(cluster.GetProperty("tls_cert").GetString(), cluster.GetProperty("tls_key").GetString());
        Assert.Contains($"daskgateway-{name}", certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());

        var details = await alice.DetailsAsync(name);
        Assert.Equal("lifecycle-alice", details.GetProperty("owner").GetString());
        Assert.StartsWith("tls://127.0.0.1:", details.GetProperty("schedulerAddress").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("http://127.0.0.1:", details.GetProperty("dashboardAddress").GetString(), StringComparison.Ordinal);
        Assert.Equal(["PENDING", "RUNNING"], details.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("status").GetString()));
        await alice.StopAsync(name);
    }

    [Fact]
    public async Task Scaling_to_two_registers_two_workers_a_python_client_computes_on_and_scaling_to_zero_retires_them()
    {
        var bob = service.As("lifecycle-bob");
        var name = await bob.CreateAsync();
        var cluster = await bob.WaitForStatusAsync(name, "RUNNING");

        var scaled = await bob.ScaleAsync(name, 2);
        Assert.Equal("""{"ok":true,"msg":null}""", scaled.GetRawText());
        var details = await bob.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 2, "two registered workers");
        var scheduler = details.GetProperty("schedulerAddress").GetString()!;

        var output = await DaskClient.RunAsync(cluster, scheduler, """
            print(len(client.scheduler_info()["workers"]))
            print(client.submit(lambda x: x + 1, 41).result())
            """);
        Assert.Equal("2\n42", output);

        var workerPids = WorkerProcessIds(details);
        Assert.Equal(2, workerPids.Count);
        Assert.Equal("""{"ok":true,"msg":null}""", (await bob.ScaleAsync(name, 0)).GetRawText());
        await bob.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 0 && WorkerProcessIds(d).Count == 0, "every worker retired");
        await Eventually.TrueAsync(() => workerPids.All(pid => ClusterProcess.ReadIdentity(pid) is null), TimeSpan.FromSeconds(20), "worker processes to exit");
        var log = await bob.SendAsync(HttpMethod.Get, $"/api/platform/clusters/{name}/logs/worker-1");
        Assert.Contains("scheduler-remove-worker", await log.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await bob.StopAsync(name);
    }

    [Fact]
    public async Task Adaptive_scaling_keeps_the_minimum_grows_under_load_and_shrinks_when_idle()
    {
        var carol = service.As("lifecycle-carol");
        var name = await carol.CreateAsync();
        var cluster = await carol.WaitForStatusAsync(name, "RUNNING");

        Assert.Equal("""{"ok":true,"msg":null}""", (await carol.AdaptAsync(name, 1, 2)).GetRawText());
        var details = await carol.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 1, "the adaptive minimum of one worker");
        Assert.True(details.GetProperty("adaptive").GetProperty("active").GetBoolean());

        // Enough slow tasks that the scheduler's adaptive target asks for more workers than the maximum.
        var load = DaskClient.RunAsync(cluster, details.GetProperty("schedulerAddress").GetString()!, """
            import time
            futures = client.map(lambda i: time.sleep(0.5) or i, range(40))
            print(sum(client.gather(futures)))
            """);
        await carol.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 2, "adaptive scaling to the maximum of two under load");
        Assert.Equal("780", await load);

        await carol.AdaptAsync(name, 0, 2);
        await carol.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 0, "adaptive scaling down to zero once idle");
        await carol.StopAsync(name);
    }

    [Fact]
    public async Task Stopping_a_cluster_ends_STOPPED_with_no_process_left_and_stopping_again_is_harmless()
    {
        var dave = service.As("lifecycle-dave");
        var name = await dave.CreateAsync();
        await dave.WaitForStatusAsync(name, "RUNNING");
        await dave.ScaleAsync(name, 1);
        var details = await dave.WaitForDetailsAsync(name, d => ClustersClient.RunningWorkers(d) == 1, "one worker");
        var pids = details.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("processId").GetInt32()).ToList();
        Assert.Equal(2, pids.Count);
        Assert.All(pids, pid => Assert.NotNull(ClusterProcess.ReadIdentity(pid)));

        await dave.StopAsync(name);
        var stopped = await Eventually.GetAsync(() => dave.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "STOPPED");

        Assert.All(pids, pid => Assert.Null(ClusterProcess.ReadIdentity(pid)));
        Assert.Equal(JsonValueKind.Number, stopped.GetProperty("stop_time").ValueKind);
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("tls_key").ValueKind);
        await dave.StopAsync(name);
        var timeline = (await dave.DetailsAsync(name)).GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("status").GetString()).Distinct();
        Assert.Equal(["PENDING", "RUNNING", "STOPPING", "STOPPED"], timeline);
        Assert.Empty((await dave.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")).EnumerateObject());
    }

    [Fact]
    public async Task A_cluster_whose_scheduler_is_killed_becomes_FAILED_with_the_tail_of_its_log()
    {
        var erin = service.As("lifecycle-erin");
        var name = await erin.CreateAsync();
        await erin.WaitForStatusAsync(name, "RUNNING");
        var scheduler = (await erin.DetailsAsync(name)).GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("role").GetString() == "scheduler");

        Process.GetProcessById(scheduler.GetProperty("processId").GetInt32()).Kill();

        await erin.WaitForStatusAsync(name, "FAILED", TimeSpan.FromSeconds(30));
        var reason = (await erin.DetailsAsync(name)).GetProperty("failureReason").GetString();
        Assert.Contains("The scheduler exited unexpectedly", reason, StringComparison.Ordinal);
        Assert.Contains("Scheduler at:", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_start_that_exceeds_its_timeout_fails_and_leaves_no_process()
    {
        var frank = service.As("lifecycle-frank");
        var name = await frank.CreateAsync(new { start_timeout = 0.05 });

        await frank.WaitForStatusAsync(name, "FAILED", TimeSpan.FromSeconds(30));
        var details = await frank.DetailsAsync(name);
        Assert.Contains("did not start within 0.05 s", details.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        Assert.Empty(details.GetProperty("processes").EnumerateArray());
    }

    [Fact]
    public async Task Workers_that_keep_failing_fail_the_cluster_with_their_log()
    {
        var grace = service.As("lifecycle-grace");
        // A worker preload that does not exist: the scheduler starts, every worker dies at start-up.
        var name = await grace.CreateAsync(new { environment = new Dictionary<string, string> { ["DASK_DISTRIBUTED__WORKER__PRELOAD"] = "['/nonexistent/preload.py']" } });
        await grace.WaitForStatusAsync(name, "RUNNING");

        await grace.ScaleAsync(name, 1);

        await grace.WaitForStatusAsync(name, "FAILED", TimeSpan.FromSeconds(60));
        var details = await grace.DetailsAsync(name);
        var reason = details.GetProperty("failureReason").GetString();
        Assert.Contains("Workers keep failing: 3 exited in a row", reason, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/preload.py", reason, StringComparison.Ordinal);
        Assert.Equal(3, details.GetProperty("timeline").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "worker-failed"));
    }

    [Fact]
    public async Task An_idle_cluster_is_stopped_after_its_idle_timeout()
    {
        var heidi = service.As("lifecycle-heidi");
        var name = await heidi.CreateAsync(new { idle_timeout = 2 });
        await heidi.WaitForStatusAsync(name, "RUNNING");

        await Eventually.GetAsync(() => heidi.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "the idle cluster to stop");
        var timeline = (await heidi.DetailsAsync(name)).GetProperty("timeline").EnumerateArray();
        Assert.Contains(timeline, e => e.GetProperty("status").GetString() == "STOPPING" && e.GetProperty("message").GetString()!.Contains("idle timeout 2 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wait_returns_as_soon_as_a_pending_cluster_is_running()
    {
        var ivan = service.As("lifecycle-ivan");
        var name = await ivan.CreateAsync();
        var stopwatch = Stopwatch.StartNew();

        var cluster = await ivan.GetAsync(name, wait: true);

        Assert.Equal("RUNNING", cluster.GetProperty("status").GetString());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(19), $"?wait took {stopwatch.Elapsed}");
        using var noWait = await ivan.SendAsync(HttpMethod.Get, $"/api/v1/clusters/{name}?wait=0");
        Assert.Equal(HttpStatusCode.OK, noWait.StatusCode);
        await ivan.StopAsync(name);
    }

    private static List<int> WorkerProcessIds(JsonElement details) =>
        [.. details.GetProperty("processes").EnumerateArray().Where(p => p.GetProperty("role").GetString() == "worker").Select(p => p.GetProperty("processId").GetInt32())];
}
