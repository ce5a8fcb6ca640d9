namespace Platform.Clusters.Backends;

/// <summary>How the local backend separates clusters from the service and from each other.</summary>
public enum ClusterIsolationMode
{
    /// <summary>Each platform user's clusters run as that user's own unprivileged account (the service is root).</summary>
    Isolated,

    /// <summary>Clusters run as the service's own account, with no isolation: chosen explicitly (<c>Clusters:Backend=unsafe-local</c>).</summary>
    Unsafe,

    /// <summary>Isolation is impossible here and unsafe mode was not chosen: every cluster start is refused with <see cref="ClusterIsolation.Reason"/>.</summary>
    Refused,
}

/// <summary>
/// The decision, made once at start-up, as dask-gateway's <c>LocalBackend</c> (runs clusters as their user, needs
/// root) versus <c>UnsafeLocalBackend</c> (for testing only). User code runs in clusters, so the service never falls
/// back to running it with its own privileges unless the operator said so.
/// </summary>
public sealed record ClusterIsolation(ClusterIsolationMode Mode, string Reason)
{
    public const string LocalBackend = "local";
    public const string UnsafeLocalBackend = "unsafe-local";

    /// <summary>Isolation as this process can provide it: root switches accounts; anyone else needs the unsafe backend.</summary>
    public static ClusterIsolation ForThisProcess(string backend) => Decide(Environment.IsPrivilegedProcess, backend);

    public static ClusterIsolation Decide(bool isRoot, string backend) => (isRoot, backend) switch
    {
        (_, UnsafeLocalBackend) => new(
            ClusterIsolationMode.Unsafe,
            "UNSAFE: Clusters:Backend is 'unsafe-local', so every cluster runs as the service's own account: code run on any cluster can read every other cluster's key and the service's secrets. Use only for single-user development and tests."),
        (true, _) => new(ClusterIsolationMode.Isolated, "Each user's clusters run as the user's own unprivileged account."),
        (false, _) => new(
            ClusterIsolationMode.Refused,
            "Clusters are refused: the Clusters service is not running as root, so it cannot run each user's clusters as a separate account, and code on one cluster could take over every other. Run the service as root, or set Clusters:Backend=unsafe-local to accept running clusters without isolation."),
    };

    /// <summary>The same service, unable to isolate for a reason found at start-up (a missing program, an unreachable folder).</summary>
    public ClusterIsolation Refuse(string why) => new(
        ClusterIsolationMode.Refused,
        $"Clusters are refused: cluster isolation is unavailable ({why}). Fix that, or set Clusters:Backend=unsafe-local to accept running clusters without isolation.");
}
