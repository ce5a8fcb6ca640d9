using System.Net;
using System.Text.Json;
using Platform.Clusters.Tests.Support;

namespace Platform.Clusters.Tests.Integration;

/// <summary>The compatible API's JSON, status codes, permissions, option validation and quotas.</summary>
[Collection(ClustersServiceCollection.Name)]
public sealed class ClusterApiTests(ClustersServiceFixture service)
{
    [Fact]
    public async Task Health_and_version_answer_without_credentials()
    {
        using var health = await service.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("""{"status":"pass"}""", await health.Content.ReadAsStringAsync());

        using var version = await service.Http.GetAsync(new Uri("/api/version", UriKind.Relative));
        var body = JsonDocument.Parse(await version.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["version"], body.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Requests_without_an_identity_assertion_get_a_401_json_error()
    {
        using var response = await service.Http.GetAsync(new Uri("/api/v1/clusters/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["error"], JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Options_list_each_field_with_exactly_the_keys_dask_gateways_client_reads()
    {
        var options = await service.As("api-options").JsonAsync(HttpMethod.Get, "/api/v1/options");

        Assert.Equal(["cluster_options"], options.EnumerateObject().Select(p => p.Name));
        var fields = options.GetProperty("cluster_options").EnumerateArray().ToDictionary(f => f.GetProperty("field").GetString()!);
        Assert.All(fields.Values, f => Assert.Equal(["default", "field", "label", "spec"], f.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)));
        Assert.Equal("""{"field":"worker_cores","label":"Worker cores","default":1,"spec":{"type":"int","min":1,"max":4}}""", fields["worker_cores"].GetRawText());
        Assert.Equal("""{"type":"float","min":0.25,"max":8}""", fields["worker_memory"].GetProperty("spec").GetRawText());
        Assert.Equal("""{"field":"environment","label":"Environment variables","default":{},"spec":{"type":"mapping"}}""", fields["environment"].GetRawText());
        Assert.Equal("""{"type":"select","options":["info","warning","debug"]}""", fields["log_level"].GetProperty("spec").GetRawText());
        Assert.Equal("""{"field":"spill_to_disk","label":"Spill worker memory to disk","default":true,"spec":{"type":"bool"}}""", fields["spill_to_disk"].GetRawText());
        Assert.Equal("""{"field":"description","label":"Description","default":"","spec":{"type":"string"}}""", fields["description"].GetRawText());
    }

    [Theory]
    [InlineData("""{"cluster_options": {"gpus": 1}}""", "Unknown fields ['gpus']")]
    [InlineData("""{"cluster_options": {"worker_cores": 99}}""", "worker_cores must be <= 4, got 99")]
    [InlineData("""{"cluster_options": {"worker_memory": "lots"}}""", "worker_memory must be a float, got \"lots\"")]
    [InlineData("""{"cluster_options": {"log_level": "loud"}}""", "'loud' is not a valid option for log_level (choose one of info, warning, debug)")]
    [InlineData("""{"cluster_options": {"environment": {"PLATFORM_X": "1"}}}""", "environment: 'PLATFORM_X' is not an environment variable name a cluster may set")]
    [InlineData("""{"cluster_options": [1]}""", "cluster_options must be a mapping")]
    public async Task Bad_options_are_refused_with_422_naming_the_field(string body, string message)
    {
        var user = service.As("api-bad-options");
        var error = await user.JsonAsync(HttpMethod.Post, "/api/v1/clusters/", body, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(message, error.GetProperty("error").GetString());
        Assert.Empty((await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=PENDING,RUNNING,STOPPING,STOPPED,FAILED")).EnumerateObject());
    }

    [Fact]
    public async Task Another_users_cluster_is_forbidden_but_an_admin_sees_and_stops_it()
    {
        var owner = service.As("api-owner");
        var name = await owner.CreateAsync();
        var mallory = service.As("api-mallory");

        Assert.Equal($"User api-mallory lacks permissions to view cluster {name}", (await mallory.JsonAsync(HttpMethod.Get, $"/api/v1/clusters/{name}", expected: HttpStatusCode.Forbidden)).GetProperty("error").GetString());
        await mallory.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = 1 }, HttpStatusCode.Forbidden);
        await mallory.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/adapt", new { minimum = 0, maximum = 1 }, HttpStatusCode.Forbidden);
        await mallory.JsonAsync(HttpMethod.Delete, $"/api/v1/clusters/{name}", expected: HttpStatusCode.Forbidden);
        await mallory.JsonAsync(HttpMethod.Get, $"/api/platform/clusters/{name}", expected: HttpStatusCode.Forbidden);
        Assert.DoesNotContain(name, (await mallory.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")).EnumerateObject().Select(p => p.Name));

        var admin = service.As("api-admin", admin: true);
        Assert.Contains(name, (await admin.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")).EnumerateObject().Select(p => p.Name));
        await admin.StopAsync(name);
        await Eventually.GetAsync(() => owner.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "STOPPED");
    }

    [Fact]
    public async Task Unknown_clusters_are_404_except_delete_which_is_204()
    {
        var user = service.As("api-unknown");
        Assert.Equal("Cluster nosuchcluster not found", (await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/nosuchcluster", expected: HttpStatusCode.NotFound)).GetProperty("error").GetString());
        await user.JsonAsync(HttpMethod.Post, "/api/v1/clusters/nosuchcluster/scale", new { count = 1 }, HttpStatusCode.NotFound);
        await user.StopAsync("nosuchcluster");
    }

    [Fact]
    public async Task Listing_defaults_to_active_clusters_and_filters_by_status()
    {
        var user = service.As("api-lister");
        var stopped = await user.CreateAsync();
        await user.StopAsync(stopped);
        await Eventually.GetAsync(() => user.GetAsync(stopped), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "STOPPED");
        var running = await user.CreateAsync();
        await user.WaitForStatusAsync(running, "RUNNING");

        Assert.Equal([running], (await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/")).EnumerateObject().Select(p => p.Name));
        Assert.Equal([stopped], (await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=STOPPED")).EnumerateObject().Select(p => p.Name));
        var both = await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=running,stopped");
        Assert.Equal(2, both.EnumerateObject().Count());
        Assert.Equal("RUNNING", both.GetProperty(running).GetProperty("status").GetString());
        Assert.Equal("'BOGUS' is not a valid ClusterStatus", (await user.JsonAsync(HttpMethod.Get, "/api/v1/clusters/?status=RUNNING,BOGUS", expected: HttpStatusCode.UnprocessableEntity)).GetProperty("error").GetString());
        await user.StopAsync(running);
    }

    [Fact]
    public async Task Scaling_needs_a_running_cluster_and_a_non_negative_count()
    {
        var user = service.As("api-scaler");
        var name = await user.CreateAsync();
        await user.WaitForStatusAsync(name, "RUNNING");

        Assert.Equal("Scale expects a non-negative integer, got -1", (await user.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = -1 }, HttpStatusCode.UnprocessableEntity)).GetProperty("error").GetString());
        Assert.Equal("Scale expects a non-negative integer, got None", (await user.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { }, HttpStatusCode.UnprocessableEntity)).GetProperty("error").GetString());
        await user.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/adapt", new { minimum = 3, maximum = 1 }, HttpStatusCode.UnprocessableEntity);

        await user.StopAsync(name);
        var conflict = await user.JsonAsync(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = 1 }, HttpStatusCode.Conflict);
        Assert.StartsWith($"Cluster {name} is not running", conflict.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scaling_past_the_clusters_maximum_scales_to_the_maximum_and_says_so()
    {
        var user = service.As("api-greedy");
        var name = await user.CreateAsync();
        await user.WaitForStatusAsync(name, "RUNNING");

        var result = await user.ScaleAsync(name, 10);

        Assert.Equal("""{"ok":false,"msg":"Scale request of 10 workers would exceed resource limit of 3 workers. Scaling to 3 instead."}""", result.GetRawText());
        Assert.Equal(3, (await user.DetailsAsync(name)).GetProperty("workers").GetProperty("requested").GetInt32());
        var adapt = await user.AdaptAsync(name, 0, 5);
        Assert.False(adapt.GetProperty("ok").GetBoolean());
        Assert.Contains("resource limit of 3 workers", adapt.GetProperty("msg").GetString(), StringComparison.Ordinal);
        await user.StopAsync(name);
    }

    [Fact]
    public async Task A_user_over_their_cluster_or_worker_quota_is_refused_naming_the_quota()
    {
        var frugal = service.As("frugal");
        var name = await frugal.CreateAsync();

        var refused = await frugal.JsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { } }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Quota exceeded: user frugal may have at most 1 active cluster (1 active)", refused.GetProperty("error").GetString());

        await frugal.WaitForStatusAsync(name, "RUNNING");
        var scaled = await frugal.ScaleAsync(name, 2);
        Assert.False(scaled.GetProperty("ok").GetBoolean());
        Assert.Equal("Scale request of 2 workers would exceed user frugal's quota of 1 workers (0 in use by other clusters). Scaling to 1 instead.", scaled.GetProperty("msg").GetString());
        await frugal.StopAsync(name);
        await Eventually.GetAsync(() => frugal.GetAsync(name), c => c.GetProperty("status").GetString() == "STOPPED", TimeSpan.FromSeconds(30), "STOPPED");
        var next = await frugal.CreateAsync();
        await frugal.StopAsync(next);
    }

    [Fact]
    public async Task A_group_quota_is_shared_by_its_members()
    {
        var ann = service.As("physicist-ann", false, "physics");
        var ben = service.As("physicist-ben", false, "physics");
        var first = await ann.CreateAsync(new { worker_cores = 2 });
        var second = await ben.CreateAsync();

        var refused = await ben.JsonAsync(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { } }, HttpStatusCode.UnprocessableEntity);
        Assert.StartsWith("Quota exceeded: group physics may have at most 2 active clusters", refused.GetProperty("error").GetString(), StringComparison.Ordinal);

        // 2 cores for the group: one 2-core worker of ann's leaves nothing for ben.
        await ann.WaitForStatusAsync(first, "RUNNING");
        await ben.WaitForStatusAsync(second, "RUNNING");
        Assert.True((await ann.ScaleAsync(first, 1)).GetProperty("ok").GetBoolean());
        var scaled = await ben.ScaleAsync(second, 1);
        Assert.Equal("Scale request of 1 workers would exceed group physics's quota of 2 cores (2 in use by other clusters). Scaling to 0 instead.", scaled.GetProperty("msg").GetString());
        await ann.StopAsync(first);
        await ben.StopAsync(second);
    }
}
