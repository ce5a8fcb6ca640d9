using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Platform.Clusters.Model;

namespace Platform.Clusters.Apis;

// The dask-gateway wire shapes, key for key. dask-gateway's client rebuilds its objects from these with **kwargs,
// so an extra key breaks it: platform data goes to /api/platform/..., never here.

/// <summary><c>GET /api/v1/clusters/{name}</c> (and each value of the list).</summary>
public sealed record GatewayCluster(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dashboard_route")] string? DashboardRoute,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("start_time")] long StartTime,
    [property: JsonPropertyName("stop_time")] long? StopTime,
    [property: JsonPropertyName("options")] JsonElement Options,
    [property: JsonPropertyName("tls_cert")] string? TlsCert,
    [property: JsonPropertyName("tls_key")] string? TlsKey)
{
    public static GatewayCluster From(ClusterRecord cluster)
    {
        var running = cluster.State == ClusterState.Running;
        using var options = JsonDocument.Parse(cluster.OptionsJson);
        return new GatewayCluster(
            cluster.Name,
            running && !string.IsNullOrEmpty(cluster.DashboardAddress) ? $"/clusters/{cluster.Name}/status" : null,
            cluster.State.ToWireName(),
            cluster.CreatedAt.ToUnixTimeMilliseconds(),
            cluster.StoppedAt?.ToUnixTimeMilliseconds(),
            options.RootElement.Clone(),
            running ? cluster.TlsCert : null,
            running ? cluster.TlsKey : null);
    }
}

/// <summary>
/// <c>POST /api/v1/clusters/</c> request body. <c>labels</c> is the platform's addition: dask-gateway's client never
/// sends it, and nothing of it is ever answered on this API.
/// </summary>
public sealed record GatewayCreateCluster(
    [property: JsonPropertyName("cluster_options")] JsonNode? ClusterOptions,
    [property: JsonPropertyName("labels")] JsonNode? Labels = null);

/// <summary><c>POST /api/v1/clusters/</c> → 201.</summary>
public sealed record GatewayClusterCreated([property: JsonPropertyName("name")] string Name);

/// <summary><c>GET /api/v1/options</c>.</summary>
public sealed record GatewayClusterOptions([property: JsonPropertyName("cluster_options")] IReadOnlyList<GatewayOptionField> ClusterOptions)
{
    public static GatewayClusterOptions From(ClusterOptions options) =>
        new([.. options.Fields.Select(f => new GatewayOptionField(f.Field, f.Label, f.DefaultValue, f.Spec()))]);
}

/// <summary>One option: exactly <c>field, label, default, spec</c>.</summary>
public sealed record GatewayOptionField(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("default")] JsonNode? Default,
    [property: JsonPropertyName("spec")] JsonObject Spec);

/// <summary>Scale and adapt → 200 <c>{"ok": bool, "msg": str|null}</c>.</summary>
public sealed record GatewayScaleResult(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("msg")] string? Msg);

public sealed record GatewayHealth([property: JsonPropertyName("status")] string Status);

public sealed record GatewayVersion([property: JsonPropertyName("version")] string Version);
