extern alias clusters;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.Plugins.Tests.Support;
using Platform.Testing;
using ClustersProgram = clusters::Program;

namespace Platform.Plugins.Tests.Integration;

/// <summary>
/// The real Clusters service (real Dask processes) next to the real Plugins service: labels travel from the create
/// request through the bus to the hello plugin, its validator refuses through Clusters, its annotation comes back.
/// </summary>
public class ClustersWithPluginsFixture : PluginsServiceFixture
{
    public TestDirectory ClusterData { get; } = new("plugins-clusters");
    public WebApplicationFactory<ClustersProgram> Clusters { get; private set; } = null!;
    public HttpClient ClustersHttp { get; private set; } = null!;

    /// <summary>
    /// Who creates this host's clusters. Each user's clusters run under one system account on this machine, and a
    /// Clusters service stopping a cluster kills that account's processes it does not know: hosts running side by side
    /// (here and in other suites) each have a user of their own, or one's stop kills the other's scheduler.
    /// </summary>
    public virtual string User => "plugins-hello";

    /// <summary>What a validator that cannot answer means, in Plugins and in Clusters alike.</summary>
    protected virtual bool FailOpen => false;

    protected override Dictionary<string, string?> Settings => new(base.Settings) { ["Plugins:Validators:FailOpen"] = FailOpen.ToString() };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await EnsureEnabledAsync("hello", PluginPackages.HelloAsync);
        var validation = new Dictionary<string, string?> { ["Url"] = "http://plugins.test", ["FailOpen"] = FailOpen.ToString() };
        Clusters = await ClustersServiceHost.StartAsync(Infrastructure, Identity, $"clusters-{ServiceName}", ClusterData.Path, validation, Host.Server.CreateHandler());
        ClustersHttp = Clusters.CreateClient();
    }

    public Task<JsonElement> ClustersJsonAsync(HttpMethod method, string path, object? body, HttpStatusCode expected, string? user = null) =>
        ClustersServiceHost.JsonAsync(ClustersHttp, Identity, method, path, body, expected, user ?? User);

    public override async Task DisposeAsync()
    {
        ClustersHttp.Dispose();
        await Clusters.DisposeAsync();
        ClusterData.Dispose();
        await base.DisposeAsync();
    }
}

public sealed class ClustersWithPluginsTests(ClustersWithPluginsFixture service) : IClassFixture<ClustersWithPluginsFixture>
{
    [Fact]
    public async Task A_cluster_labelled_hello_forbidden_is_refused_with_the_validators_message()
    {
        var refused = await service.ClustersJsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { hello = "forbidden" } }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("The hello plugin refuses clusters labelled hello=forbidden.", refused.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Scaling_or_adapting_a_cluster_labelled_hello_small_beyond_two_workers_is_refused_with_the_validators_message()
    {
        const string Message = "The hello plugin keeps clusters labelled hello=small at 2 workers or fewer.";
        var created = await service.ClustersJsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { hello = "small" } }, HttpStatusCode.Created);
        var name = created.GetProperty("name").GetString()!;
        try
        {
            var scale = await service.ClustersJsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = 3 }, HttpStatusCode.UnprocessableEntity);
            Assert.Equal(Message, scale.GetProperty("error").GetString());
            var unbounded = await service.ClustersJsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/adapt", new { minimum = 0, maximum = (int?)null, active = true }, HttpStatusCode.UnprocessableEntity);
            Assert.Equal(Message, unbounded.GetProperty("error").GetString());

            // Within the limit the validators let it through, and Clusters decides (200, or 409 while the cluster still starts).
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/clusters/{name}/scale") { Content = JsonContent.Create(new { count = 2 }) };
            var (header, value) = service.Identity.Header(service.User);
            request.Headers.Add(header, value);
            using var allowed = await service.ClustersHttp.SendAsync(request);
            Assert.Contains(allowed.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict });
        }
        finally
        {
            await service.ClustersJsonAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}", null, HttpStatusCode.NoContent);
        }
    }

    [Fact]
    public async Task A_validator_that_does_not_answer_in_time_refuses_the_create_with_422_naming_it_when_failing_closed()
    {
        await service.EnsureEnabledAsync("chaos", PluginPackages.ChaosAsync);

        var refused = await service.ClustersJsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { chaos = "hang-validator" } }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal(
            "Validator hangs-on-request of plugin chaos did not answer within 0.3 s; the request is refused until it answers.",
            refused.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Invalid_labels_are_refused_with_422()
    {
        var refused = await service.ClustersJsonAsync(
            HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { hello = 42 } }, HttpStatusCode.UnprocessableEntity);

        Assert.Contains("string value", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_labelled_cluster_is_greeted_annotated_and_shows_labels_only_on_the_platform_api()
    {
        var created = await service.ClustersJsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { }, labels = new { hello = "yes" } }, HttpStatusCode.Created);
        var name = created.GetProperty("name").GetString()!;
        try
        {
            await service.WaitForRunsAsync("hello", name, r => r.Any(x => x.GetProperty("state").GetString() == "succeeded"), "hello to greet the cluster", TimeSpan.FromSeconds(120));
            var details = await Eventually.GetAsync(
                () => service.ClustersJsonAsync(HttpMethod.Get, $"/api/platform/clusters/{name}", null, HttpStatusCode.OK),
                d => d.GetProperty("annotations").TryGetProperty("hello/greeted", out _),
                TimeSpan.FromSeconds(30),
                "the annotation on the platform API");
            Assert.Equal("yes", details.GetProperty("labels").GetProperty("hello").GetString());
            Assert.Equal($"Hello, {service.User}!", details.GetProperty("annotations").GetProperty("hello/greeted").GetString());

            var compatible = await service.ClustersJsonAsync(HttpMethod.Get, $"/api/v1/clusters/{name}", null, HttpStatusCode.OK);
            Assert.Equal(["name", "dashboard_route", "status", "start_time", "stop_time", "options", "tls_cert", "tls_key"], compatible.EnumerateObject().Select(p => p.Name));

            var relabelled = await service.ClustersJsonAsync(HttpMethod.Put, $"/api/platform/clusters/{name}/labels", new { team = "physics" }, HttpStatusCode.OK);
            Assert.Equal("physics", relabelled.GetProperty("team").GetString());
            var after = await service.ClustersJsonAsync(HttpMethod.Get, $"/api/platform/clusters/{name}", null, HttpStatusCode.OK);
            Assert.False(after.GetProperty("labels").TryGetProperty("hello", out _));
            await service.ClustersJsonAsync(HttpMethod.Put, $"/api/platform/clusters/{name}/labels", new { team = "physics" }, HttpStatusCode.Forbidden, user: "mallory");
        }
        finally
        {
            await service.ClustersJsonAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}", null, HttpStatusCode.NoContent);
        }

        // An unlabelled cluster would never reach hello: proved with events in HandlerTests, without another Dask cluster here.
    }
}
