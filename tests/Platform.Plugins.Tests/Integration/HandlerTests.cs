using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts.Clusters;
using Platform.Contracts.Plugins;
using Platform.Plugins.Tests.Support;

namespace Platform.Plugins.Tests.Integration;

/// <summary>Cluster events published on the real bus start the handlers of enabled plugins, as Clusters' events do.</summary>
public sealed class HandlerTests(PluginsServiceFixture service) : IClassFixture<PluginsServiceFixture>, IAsyncLifetime
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public async Task InitializeAsync()
    {
        await service.EnsureEnabledAsync("hello", PluginPackages.HelloAsync);
        await service.EnsureEnabledAsync("chaos", PluginPackages.ChaosAsync);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string NewCluster() => Guid.NewGuid().ToString("N");

    private Task PublishRunningAsync(string cluster, params (string Key, string Value)[] labels) =>
        service.PublishAsync(new ClusterRunning(cluster, "alice", "tls://127.0.0.1:1", "http://127.0.0.1:2", DateTimeOffset.UtcNow, labels.ToDictionary(l => l.Key, l => l.Value)));

    [Fact]
    public async Task The_hello_handler_greets_a_labelled_running_cluster_and_not_an_unlabelled_one()
    {
        var labelled = NewCluster();
        var unlabelled = NewCluster();
        await PublishRunningAsync(unlabelled);
        await PublishRunningAsync(labelled, ("hello", "yes"));

        var runs = await service.WaitForRunsAsync("hello", labelled, r => r.Any(x => x.GetProperty("state").GetString() == "succeeded"), "hello's run to succeed");
        var run = runs.Single();
        Assert.Equal("greet", run.GetProperty("handler").GetString());
        Assert.Equal("Hello, alice!", run.GetProperty("annotations").GetProperty("hello/greeted").GetString());

        var seen = await service.JsonAsync(HttpMethod.Get, "/api/plugins/hello/seen", user: "alice", admin: false);
        var names = seen.GetProperty("seen").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(labelled, names);
        Assert.DoesNotContain(unlabelled, names);
        var seenByBob = await service.JsonAsync(HttpMethod.Get, "/api/plugins/hello/seen", user: "bob", admin: false);
        Assert.DoesNotContain(labelled, seenByBob.GetProperty("seen").EnumerateArray().Select(e => e.GetString()));
        var seenByAdmin = await service.JsonAsync(HttpMethod.Get, "/api/plugins/hello/seen", user: "root", admin: true);
        Assert.Contains(labelled, seenByAdmin.GetProperty("seen").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty((await service.RunsAsync("hello", unlabelled)).GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public async Task A_failing_handler_is_retried_with_backoff_then_reported_as_failed()
    {
        var cluster = NewCluster();
        await PublishRunningAsync(cluster, ("chaos", "fail"));

        var run = (await service.WaitForRunsAsync("chaos", cluster, r => r.Any(x => x.GetProperty("state").GetString() == "failed"), "the failing run to give up")).Single();
        Assert.Equal(3, run.GetProperty("attempts").GetInt32());
        Assert.Contains("Gave up after 3 attempt(s)", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        var attempts = run.GetProperty("attemptLog").EnumerateArray().ToList();
        Assert.Equal(["error", "error", "error"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        var starts = attempts.Select(a => a.GetProperty("startedAt").GetDateTimeOffset()).ToList();
        // Backoff 300 ms, doubling: at least 300 ms before the second attempt and 600 ms before the third.
        Assert.True(starts[1] - starts[0] >= TimeSpan.FromMilliseconds(290), $"second attempt after {starts[1] - starts[0]}");
        Assert.True(starts[2] - starts[1] >= TimeSpan.FromMilliseconds(590), $"third attempt after {starts[2] - starts[1]}");

        var details = await service.JsonAsync(HttpMethod.Get, "/api/plugins/chaos");
        Assert.Contains(details.GetProperty("lastErrors").EnumerateArray(), e => e.GetProperty("cluster").GetString() == cluster);
    }

    [Fact]
    public async Task A_hanging_handler_times_out()
    {
        var cluster = NewCluster();
        await PublishRunningAsync(cluster, ("chaos", "hang"));

        var run = (await service.WaitForRunsAsync("chaos", cluster, r => r.Any(x => x.GetProperty("state").GetString() == "failed"), "the hanging run to time out")).Single();
        Assert.Contains("Timed out after 0.5 s", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.InRange(run.GetProperty("durationMs").GetDouble(), 450, 3000);
    }

    [Fact]
    public async Task A_permanent_error_gives_up_at_once()
    {
        var cluster = NewCluster();
        await PublishRunningAsync(cluster, ("chaos", "permanent"));

        var run = (await service.WaitForRunsAsync("chaos", cluster, r => r.Any(x => x.GetProperty("state").GetString() == "failed"), "the run to give up")).Single();
        Assert.Equal(1, run.GetProperty("attempts").GetInt32());
        Assert.Contains("can never be handled", run.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plugin_flooded_with_slow_runs_does_not_delay_another_plugins_handler()
    {
        var slow = Enumerable.Range(0, 12).Select(_ => NewCluster()).ToList();
        foreach (var cluster in slow)
        {
            await PublishRunningAsync(cluster, ("chaos", "slow"));
        }

        // 12 runs of 2 s in 4 slots keep chaos busy for 6 s; hello must not wait for them.
        await service.WaitForRunsAsync("chaos", slow[0], r => r.Any(x => x.GetProperty("state").GetString() is "running" or "succeeded"), "chaos to be busy");
        var greeted = NewCluster();
        var clock = Stopwatch.StartNew();
        await PublishRunningAsync(greeted, ("hello", "yes"));
        await service.WaitForRunsAsync("hello", greeted, r => r.Any(x => x.GetProperty("state").GetString() == "succeeded"), "hello's run");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"hello's handler took {clock.Elapsed} behind the flood");
    }

    [Fact]
    public async Task Every_event_runs_a_handler_once_and_a_transition_handler_sees_from_and_to()
    {
        var cluster = NewCluster();
        var labels = new Dictionary<string, string> { ["chaos"] = "count" };
        // Each event type has its own queue; waiting for each run keeps this test's order (the service ignores late phases).
        await service.PublishAsync(new ClusterCreated(cluster, "alice", new Dictionary<string, string>(), DateTimeOffset.UtcNow, labels));
        await service.WaitForRunsAsync("chaos", cluster, r => r.Length == 1, "the created run");
        await service.PublishAsync(new ClusterRunning(cluster, "alice", "tls://x:1", "http://x:2", DateTimeOffset.UtcNow, labels));
        await service.WaitForRunsAsync("chaos", cluster, r => r.Length == 2, "the running run");
        await service.PublishAsync(new ClusterStopped(cluster, "alice", DateTimeOffset.UtcNow, labels));

        await service.WaitForRunsAsync("chaos", cluster, r => r.Count(x => x.GetProperty("state").GetString() == "succeeded") == 4, "3 event runs and 1 transition run");
        var state = await service.JsonAsync(HttpMethod.Get, $"/api/plugins/chaos/state/count%2F{cluster}");
        Assert.Equal(["1", "1", "1"], state.EnumerateObject().Select(p => p.Value.GetString()));
        var transition = await service.JsonAsync(HttpMethod.Get, $"/api/plugins/chaos/state/transition%2F{cluster}");
        Assert.Equal("Running->Stopped", transition.GetProperty($"transition/{cluster}").GetString());
    }

    [Fact]
    public async Task The_hello_validator_refuses_a_forbidden_cluster_with_its_message_and_allows_others()
    {
        var refused = await ValidateAsync(new Dictionary<string, string> { ["hello"] = "forbidden" });
        Assert.False(refused.Allowed);
        Assert.Equal("hello", refused.Plugin);
        Assert.Equal("The hello plugin refuses clusters labelled hello=forbidden.", refused.Message);

        var allowed = await ValidateAsync(new Dictionary<string, string> { ["hello"] = "yes" });
        Assert.True(allowed.Allowed);
    }

    [Fact]
    public async Task A_validator_that_does_not_answer_in_time_refuses_when_failing_closed()
    {
        var clock = Stopwatch.StartNew();
        var verdict = await ValidateAsync(new Dictionary<string, string> { ["chaos"] = "hang-validator" });

        Assert.False(verdict.Allowed);
        Assert.Contains("hangs-on-request of plugin chaos did not answer", verdict.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"validation took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_plugin_route_gets_the_callers_verified_identity()
    {
        await service.EnsureEnabledAsync("echo", PluginPackages.EchoAsync);

        var caller = await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo/whoami/blue", user: "carol", admin: false);

        Assert.Equal("carol", caller.GetProperty("user").GetString());
        Assert.False(caller.GetProperty("isAdmin").GetBoolean());
        Assert.Equal("blue", caller.GetProperty("tag").GetString());
        using var anonymous = await service.Http.GetAsync("/api/plugins/echo/whoami/blue");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Two_plugins_with_different_versions_of_one_library_each_use_their_own()
    {
        await service.EnsureEnabledAsync("echo", PluginPackages.EchoAsync);

        var echo = await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo/greeting");
        var chaos = await service.JsonAsync(HttpMethod.Get, "/api/plugins/chaos/greeting");

        Assert.Equal("1", echo.GetProperty("version").GetString());
        Assert.Equal("2", chaos.GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_deployment_plugin_deploys_and_reports_status_for_admins_only()
    {
        await service.EnsureEnabledAsync("echo", PluginPackages.EchoAsync);

        var deployed = await service.JsonAsync(HttpMethod.Post, "/api/plugins/echo/deployments/memory", JsonContent.Create(new { name = "db1" }));
        Assert.Equal("ready", deployed.GetProperty("state").GetString());
        var status = await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo/deployments/memory/db1");
        Assert.Equal("deployed for admin", status.GetProperty("message").GetString());
        await service.JsonAsync(HttpMethod.Get, "/api/plugins/echo/deployments/memory/db1", expected: HttpStatusCode.Forbidden, user: "alice", admin: false);
    }

    private async Task<ClusterValidationResponse> ValidateAsync(Dictionary<string, string> labels)
    {
        var request = new ClusterValidationRequest("create", null, "alice", labels, new Dictionary<string, string>(), null);
        var response = await service.JsonAsync(HttpMethod.Post, "/internal/plugins/validate", JsonContent.Create(request), user: "alice", admin: false);
        return response.Deserialize<ClusterValidationResponse>(WebJson)!;
    }
}
