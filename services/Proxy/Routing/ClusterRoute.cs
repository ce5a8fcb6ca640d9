namespace Platform.Proxy.Routing;

/// <summary>Where a running cluster is reached: its scheduler (for SNI splicing) and dashboard, and who may see it.</summary>
public sealed record ClusterRoute(string Name, string Owner, string SchedulerHost, int SchedulerPort, Uri? Dashboard)
{
    /// <summary>The SNI a dask-gateway client sends for this cluster.</summary>
    public const string SniPrefix = "daskgateway-";

    /// <summary>From the addresses Clusters reports: <c>tls://host:port</c> and <c>http://host:port</c> (may be empty).</summary>
    public static ClusterRoute? TryCreate(string name, string owner, string schedulerAddress, string? dashboardAddress)
    {
        if (string.IsNullOrWhiteSpace(name) || !Uri.TryCreate(schedulerAddress, UriKind.Absolute, out var scheduler) || scheduler.Port <= 0)
        {
            return null;
        }

        Uri? dashboard = null;
        if (!string.IsNullOrWhiteSpace(dashboardAddress) && Uri.TryCreate(dashboardAddress, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
        {
            dashboard = parsed;
        }

        return new ClusterRoute(name, owner, scheduler.IdnHost, scheduler.Port, dashboard);
    }

    public static string? ClusterNameFromSni(string? serverName) =>
        serverName is not null && serverName.Length > SniPrefix.Length && serverName.StartsWith(SniPrefix, StringComparison.OrdinalIgnoreCase)
            ? serverName[SniPrefix.Length..]
            : null;
}
