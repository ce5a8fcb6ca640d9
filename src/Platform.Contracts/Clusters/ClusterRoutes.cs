using System.Text.Json.Serialization;

namespace Platform.Contracts.Clusters;

/// <summary>What Clusters answers on <c>GET /internal/routes</c> (proxy token only): every RUNNING cluster's addresses.</summary>
public sealed record ClusterRoutesSnapshot([property: JsonPropertyName("routes")] IReadOnlyList<ClusterRouteRecord> Routes);

public sealed record ClusterRouteRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("schedulerAddress")] string SchedulerAddress,
    [property: JsonPropertyName("dashboardAddress")] string? DashboardAddress);
