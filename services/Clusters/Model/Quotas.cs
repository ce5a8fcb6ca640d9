using System.Globalization;

namespace Platform.Clusters.Model;

/// <summary>Totals one user or group may hold across its active clusters. Unset means unbounded.</summary>
public sealed class Quota
{
    public int? MaxClusters { get; set; }
    public int? MaxWorkers { get; set; }
    public double? MaxCores { get; set; }
    public double? MaxMemoryGiB { get; set; }
}

/// <summary><c>Clusters:Quotas</c>: a default for every user, per-user overrides, and per-group totals.</summary>
public sealed class QuotaSettings
{
    public Quota User { get; set; } = new();
    public Dictionary<string, Quota> Users { get; set; } = [];
    public Dictionary<string, Quota> Groups { get; set; } = [];

    /// <summary>The scopes a user's request is checked against: the user, then each of their groups that has a quota.</summary>
    public IReadOnlyList<(string Scope, Quota Quota, string? Group)> ScopesFor(string user, IEnumerable<string> groups)
    {
        var scopes = new List<(string, Quota, string?)> { ($"user {user}", Users.TryGetValue(user, out var own) ? own : User, null) };
        foreach (var group in groups.Distinct(StringComparer.Ordinal))
        {
            if (Groups.TryGetValue(group, out var quota))
            {
                scopes.Add(($"group {group}", quota, group));
            }
        }

        return scopes;
    }
}

/// <summary>What a user or group holds now: active clusters and the workers they asked for.</summary>
public sealed record ResourceUsage(int Clusters, int Workers, double Cores, double MemoryGiB)
{
    public static readonly ResourceUsage None = new(0, 0, 0, 0);
}

/// <summary>One quota and what its holder already uses (excluding the cluster being changed).</summary>
public sealed record QuotaCheck(string Scope, Quota Quota, ResourceUsage Usage);

/// <summary>Quota decisions, kept pure so they can be tested without a database.</summary>
public static class Quotas
{
    /// <summary>Why a new cluster is refused, naming the scope and the limit; null when it fits.</summary>
    public static string? RefuseNewCluster(IEnumerable<QuotaCheck> checks)
    {
        foreach (var check in checks)
        {
            if (check.Quota.MaxClusters is { } max && check.Usage.Clusters + 1 > max)
            {
                return $"Quota exceeded: {check.Scope} may have at most {max} active cluster{(max == 1 ? "" : "s")} ({check.Usage.Clusters} active)";
            }
        }

        return null;
    }

    /// <summary>
    /// How many workers of <paramref name="resources"/> a cluster may have, given what else its owner and
    /// groups hold. Returns <paramref name="requested"/> when it fits, else the largest count that does and the limit it hit.
    /// </summary>
    public static (int Allowed, string? Limit) AllowedWorkers(int requested, WorkerResources resources, IEnumerable<QuotaCheck> checks)
    {
        var allowed = requested;
        string? limit = null;
        foreach (var check in checks)
        {
            var quota = check.Quota;
            var usage = check.Usage;
            Consider(quota.MaxWorkers is { } w ? w - usage.Workers : null, $"{check.Scope}'s quota of {quota.MaxWorkers} workers ({usage.Workers} in use by other clusters)");
            Consider(
                quota.MaxCores is { } c && resources.Cores > 0 ? (int)Math.Floor((c - usage.Cores) / resources.Cores + 1e-9) : null,
                $"{check.Scope}'s quota of {Show(quota.MaxCores)} cores ({Show(usage.Cores)} in use by other clusters)");
            Consider(
                quota.MaxMemoryGiB is { } m && resources.MemoryBytes > 0 ? (int)Math.Floor((m - usage.MemoryGiB) / resources.MemoryGiB + 1e-9) : null,
                $"{check.Scope}'s quota of {Show(quota.MaxMemoryGiB)} GiB of memory ({Show(usage.MemoryGiB)} GiB in use by other clusters)");
        }

        return (Math.Max(0, allowed), limit);

        void Consider(int? fits, string description)
        {
            if (fits is { } n && Math.Max(0, n) < allowed)
            {
                allowed = Math.Max(0, n);
                limit = description;
            }
        }
    }

    private static string Show(double? value) => (value ?? 0).ToString("0.##", CultureInfo.InvariantCulture);
}
