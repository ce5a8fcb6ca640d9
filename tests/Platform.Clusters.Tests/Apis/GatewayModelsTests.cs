using System.Text.Json;
using Platform.Clusters.Apis;
using Platform.Clusters.Model;

namespace Platform.Clusters.Tests.Apis;

public sealed class GatewayModelsTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static ClusterRecord Cluster(ClusterState state) => new()
    {
        Name = "abc",
        Owner = "alice",
        State = state,
        OptionsJson = """{"worker_cores":1}""",
        Resources = new WorkerResources(),
        MaxWorkers = 4,
        DashboardAddress = "http://127.0.0.1:8787",
        TlsCert = "CERT",
        TlsKey = "KEY",
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
        StoppedAt = state is ClusterState.Stopped ? DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_100_000) : null,
    };

    [Fact]
    public void A_running_cluster_has_exactly_dask_gateways_keys_with_its_credentials()
    {
        var json = JsonSerializer.Serialize(GatewayCluster.From(Cluster(ClusterState.Running)), Web);
        Assert.Equal(
            """{"name":"abc","dashboard_route":"/clusters/abc/status","status":"RUNNING","start_time":1700000000123,"stop_time":null,"options":{"worker_cores":1},"tls_cert":"CERT","tls_key":"KEY"}""",
            json);
    }

    [Fact]
    public void A_cluster_that_is_not_running_shows_no_credentials_and_no_dashboard()
    {
        var json = JsonSerializer.Serialize(GatewayCluster.From(Cluster(ClusterState.Stopped)), Web);
        Assert.Equal(
            """{"name":"abc","dashboard_route":null,"status":"STOPPED","start_time":1700000000123,"stop_time":1700000100000,"options":{"worker_cores":1},"tls_cert":null,"tls_key":null}""",
            json);
    }

    [Fact]
    public void Scale_results_and_option_fields_use_dask_gateways_key_names()
    {
        Assert.Equal("""{"ok":false,"msg":"too many"}""", JsonSerializer.Serialize(new GatewayScaleResult(false, "too many"), Web));
        var options = GatewayClusterOptions.From(new ClusterOptions([new BoolOptionField("spill", "Spill", null, true)]));
        Assert.Equal("""{"cluster_options":[{"field":"spill","label":"Spill","default":true,"spec":{"type":"bool"}}]}""", JsonSerializer.Serialize(options, Web));
    }
}
