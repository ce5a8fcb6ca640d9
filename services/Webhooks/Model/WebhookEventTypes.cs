namespace Platform.Webhooks.Model;

public sealed record WebhookEventType(string Name, string Description, bool AdminOnly);

/// <summary>The event types endpoints subscribe to. Authentication events concern every user, so only admins receive them.</summary>
public static class WebhookEventTypes
{
    public const string ClusterCreated = "cluster.created";
    public const string ClusterRunning = "cluster.running";
    public const string ClusterScaled = "cluster.scaled";
    public const string ClusterStopping = "cluster.stopping";
    public const string ClusterStopped = "cluster.stopped";
    public const string ClusterFailed = "cluster.failed";
    public const string UserAuthenticated = "user.authenticated";
    public const string AuthenticationFailed = "authentication.failed";
    public const string Test = "webhook.test";

    public static readonly IReadOnlyList<WebhookEventType> All =
    [
        new(ClusterCreated, "A cluster was requested and is PENDING.", false),
        new(ClusterRunning, "A cluster's scheduler is up; its dashboard is reachable.", false),
        new(ClusterScaled, "The number of requested workers changed.", false),
        new(ClusterStopping, "A cluster was asked to stop.", false),
        new(ClusterStopped, "Every process of a cluster has exited.", false),
        new(ClusterFailed, "A cluster could not start or died; data.failureReason says why.", false),
        new(UserAuthenticated, "A user signed in or presented a token (admins only).", true),
        new(AuthenticationFailed, "A credential was refused (admins only).", true),
        new(Test, "Sent by POST /api/webhooks/endpoints/{id}/test, whatever the endpoint subscribes to.", false),
    ];

    private static readonly Dictionary<string, WebhookEventType> ByName = All.ToDictionary(t => t.Name, StringComparer.Ordinal);

    public static WebhookEventType? Find(string name) => ByName.GetValueOrDefault(name);
}
