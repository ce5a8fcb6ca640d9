extern alias clusters;

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Platform.Plugins.Tests.Support;
using Platform.ServiceDefaults.Identity;
using ClusterLifecycle = clusters::Platform.Clusters.Lifecycle.ClusterLifecycle;
using ClustersProgram = clusters::Program;

namespace Platform.Plugins.Tests.Integration;

/// <summary>Plugins and Clusters both failing open: a validator that cannot answer lets requests through.</summary>
public sealed class FailOpenClustersWithPluginsFixture : ClustersWithPluginsFixture
{
    protected override bool FailOpen => true;

    public override string User => "plugins-fail-open";
}

/// <summary>
/// Two real Clusters services, failing closed and failing open, whose Plugins service is down: nothing listens at their
/// validation address (a port below 1024 on 127.0.0.1, which no test server binds), so each call is refused at once.
/// </summary>
public sealed class UnreachablePluginsFixture : IAsyncLifetime
{
    public InfrastructureFixture Infrastructure { get; } = new();
    public TestIdentity Identity { get; } = new();
    public TestDirectory ClusterData { get; } = new("plugins-down-clusters");

    /// <summary>Who creates each host's clusters: a user of its own (see <see cref="ClustersWithPluginsFixture.User"/>).</summary>
    public const string FailClosedUser = "plugins-down-closed";

    public const string FailOpenUser = "plugins-down-open";
    public WebApplicationFactory<ClustersProgram> FailClosed { get; private set; } = null!;
    public WebApplicationFactory<ClustersProgram> FailOpen { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        FailClosed = await StartAsync($"clusters-closed-{suffix}", "false");
        FailOpen = await StartAsync($"clusters-open-{suffix}", "true");
    }

    private Task<WebApplicationFactory<ClustersProgram>> StartAsync(string name, string failOpen) =>
        ClustersServiceHost.StartAsync(
            Infrastructure,
            Identity,
            name,
            Path.Combine(ClusterData.Path, name),
            new Dictionary<string, string?> { ["Url"] = "http://127.0.0.1:1", ["Timeout"] = "00:00:03", ["FailOpen"] = failOpen });

    public async Task DisposeAsync()
    {
        await FailClosed.DisposeAsync();
        await FailOpen.DisposeAsync();
        ClusterData.Dispose();
        Identity.Dispose();
    }
}

/// <summary>
/// <c>Clusters:Validation:FailOpen</c> and <c>Plugins:Validators:FailOpen</c> with the real services: when Plugins is down
/// or a validator hangs, failing closed refuses naming the cause and failing open lets the request through with a warning
/// in the log and a count on <c>/metrics</c>; a validator that answers "no" refuses either way. Each test ~2–10 s.
/// </summary>
public sealed class ValidationFailurePolicyTests(UnreachablePluginsFixture down, FailOpenClustersWithPluginsFixture open)
    : IClassFixture<UnreachablePluginsFixture>, IClassFixture<FailOpenClustersWithPluginsFixture>
{
    [Fact]
    public async Task With_Plugins_down_failing_closed_refuses_create_and_scale_with_503_naming_the_Plugins_service()
    {
        using var http = down.FailClosed.CreateClient();

        var create = await ClustersServiceHost.JsonAsync(http, down.Identity, HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { } }, HttpStatusCode.ServiceUnavailable, UnreachablePluginsFixture.FailClosedUser);
        Assert.Equal(
            "Cluster validation is unavailable: the Plugins service could not be reached. The create is refused until it answers; try again shortly.",
            create.GetProperty("error").GetString());

        // A cluster made before Plugins went down (through the domain code the API calls, which cannot create one now).
        string name;
        using (var scope = down.FailClosed.Services.CreateScope())
        {
            var cluster = await scope.ServiceProvider.GetRequiredService<ClusterLifecycle>()
                .CreateAsync(new PlatformIdentity(UnreachablePluginsFixture.FailClosedUser, [], false), new JsonObject(), new Dictionary<string, string>(), CancellationToken.None);
            name = cluster.Name;
        }

        try
        {
            var scale = await ClustersServiceHost.JsonAsync(http, down.Identity, HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = 1 }, HttpStatusCode.ServiceUnavailable, UnreachablePluginsFixture.FailClosedUser);
            Assert.Contains("the Plugins service could not be reached. The scale is refused", scale.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await ClustersServiceHost.JsonAsync(http, down.Identity, HttpMethod.Delete, $"/api/v1/clusters/{name}", null, HttpStatusCode.NoContent, UnreachablePluginsFixture.FailClosedUser);
        }

        Assert.Contains(down.FailClosed.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("refusing it (fail-closed)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_Plugins_down_failing_open_creates_the_cluster_and_logs_and_counts_the_bypass()
    {
        using var http = down.FailOpen.CreateClient();

        var created = await ClustersServiceHost.JsonAsync(http, down.Identity, HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { } }, HttpStatusCode.Created, UnreachablePluginsFixture.FailOpenUser);
        await ClustersServiceHost.JsonAsync(http, down.Identity, HttpMethod.Delete, $"/api/v1/clusters/{created.GetProperty("name").GetString()}", null, HttpStatusCode.NoContent, UnreachablePluginsFixture.FailOpenUser);

        Assert.Contains(
            down.FailOpen.Services.GetFakeLogCollector().GetSnapshot(),
            r => r.Level == LogLevel.Warning && r.Message == "Plugin validators were not asked before a create: the Plugins service could not be reached; allowing it (fail-open)");
        await MetricsShowAsync(http, "cause=\"plugins_unavailable\"", "operation=\"create\"");
    }

    [Fact]
    public async Task A_validator_that_does_not_answer_in_time_lets_the_create_through_when_failing_open_and_is_counted()
    {
        await open.EnsureEnabledAsync("chaos", PluginPackages.ChaosAsync);

        var created = await open.ClustersJsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { chaos = "hang-validator" } }, HttpStatusCode.Created);
        await open.ClustersJsonAsync(HttpMethod.Delete, $"/api/v1/clusters/{created.GetProperty("name").GetString()}", null, HttpStatusCode.NoContent);

        Assert.Contains(
            open.Host.Services.GetFakeLogCollector().GetSnapshot(),
            r => r.Level == LogLevel.Warning && r.Message == "Validator chaos/hangs-on-request did not answer within 0.3 s; allowing (fail-open)");
        await MetricsShowAsync(open.Http, "cause=\"validator_timeout\"", "plugin=\"chaos\"");
    }

    [Fact]
    public async Task A_validator_that_refuses_still_refuses_when_failing_open()
    {
        var refused = await open.ClustersJsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { hello = "forbidden" } }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("The hello plugin refuses clusters labelled hello=forbidden.", refused.GetProperty("error").GetString());
    }

    private static async Task MetricsShowAsync(HttpClient service, params string[] tags) =>
        await Eventually.GetAsync(
            () => service.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            text => text.Split('\n').Any(line => line.StartsWith("platform_validation_bypassed_total{", StringComparison.Ordinal) && tags.All(t => line.Contains(t, StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10),
            $"platform_validation_bypassed_total with {string.Join(", ", tags)} on /metrics");
}
