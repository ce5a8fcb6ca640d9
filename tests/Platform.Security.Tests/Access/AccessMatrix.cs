namespace Platform.Security.Tests.Access;

/// <summary>
/// Every endpoint of every service and what each caller gets. Objects named in paths are alice's: <c>{cluster}</c> a
/// running cluster, <c>{cluster2}</c> one that the row deleting it may stop, <c>{endpoint}</c> a webhook endpoint,
/// <c>{msg}</c> a message sent to it, <c>{token}</c> an API token. Users see only their own objects (an unknown one
/// and another's look alike where the service says 404; dask-gateway's API says 403), admins everyone's.
/// </summary>
public static class AccessMatrix
{
    private const int Ok = 200, Created = 201, Accepted = 202, NoContent = 204, Unauthorized = 401, Forbidden = 403, NotFound = 404, Unprocessable = 422;

    public static IReadOnlyList<AccessRow> Rows { get; } =
    [
        // Auth. Its /api/auth/identity reads credentials itself and ignores any identity header.
        new("auth", "GET", "/api/auth/identity", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("auth", "GET", "/api/identity/keys/", null, Ok, Ok, Ok, Ok, Ok, Ok),
        new("auth", "POST", "/api/identity/keys/rotate", null, Forbidden, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("auth", "POST", "/api/auth/logout", null, NoContent, NoContent, NoContent, NoContent, NoContent, NoContent),
        new("auth", "DELETE", "/api/sessions", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("auth", "POST", "/api/tokens/", """{"name":"matrix"}""", Created, Created, Created, Unauthorized, Unauthorized, Unauthorized),
        new("auth", "GET", "/api/tokens/", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("auth", "DELETE", "/api/tokens/{token}", null, NoContent, NotFound, NotFound, Unauthorized, Unauthorized, Unauthorized, Fresh: true),

        // Clusters: the dask-gateway compatible API, then the platform's.
        new("clusters", "GET", "/api/health", null, Ok, Ok, Ok, Ok, Ok, Ok),
        new("clusters", "GET", "/api/version", null, Ok, Ok, Ok, Ok, Ok, Ok),
        new("clusters", "GET", "/api/v1/options", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/v1/clusters/", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/v1/clusters/?status=RUNNING,PENDING,STOPPED", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "POST", "/api/v1/clusters/", """{"cluster_options":{"worker_cores":"many"}}""", Unprocessable, Unprocessable, Unprocessable, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/v1/clusters/{cluster}", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/v1/clusters/{cluster}?wait", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/v1/clusters/0123456789abcdef0123456789abcdef", null, NotFound, NotFound, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "POST", "/api/v1/clusters/{cluster}/scale", """{"count":0}""", Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "POST", "/api/v1/clusters/{cluster}/adapt", """{"minimum":0,"maximum":1,"active":false}""", Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/platform/clusters/{cluster}", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/platform/clusters/{cluster}/logs/scheduler?lines=5", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "GET", "/api/platform/clusters/{cluster}/logs/..%2F..%2Ftls.key", null, NotFound, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("clusters", "PUT", "/api/platform/clusters/{cluster}/labels", """{"team":"matrix"}""", Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        // Only the Proxy (with the proxy token) reads the route table; the public port does not route /internal at all.
        new("clusters", "GET", "/internal/routes", null, NotFound, NotFound, NotFound, NotFound, Forbidden, Forbidden),
        new("clusters", "DELETE", "/api/v1/clusters/{cluster2}", null, NoContent, Forbidden, NoContent, Unauthorized, Unauthorized, Unauthorized),

        // Webhooks: another user's endpoint is not found, as an unknown one.
        new("webhooks", "GET", "/api/webhooks/event-types", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "POST", "/api/webhooks/endpoints", """{"url":"http://127.0.0.1:9/matrix"}""", Created, Created, Created, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints/{endpoint}", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "PATCH", "/api/webhooks/endpoints/{endpoint}", """{"description":"matrix"}""", Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints/{endpoint}/secret", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "POST", "/api/webhooks/endpoints/{endpoint}/secret/rotate", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "POST", "/api/webhooks/endpoints/{endpoint}/test", null, Accepted, NotFound, Accepted, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints/{endpoint}/messages", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints/{endpoint}/messages/{msg}", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "GET", "/api/webhooks/endpoints/{endpoint}/messages/{msg}/attempts", null, Ok, NotFound, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "POST", "/api/webhooks/endpoints/{endpoint}/messages/{msg}/retry", null, Accepted, NotFound, Accepted, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "POST", "/api/webhooks/endpoints/{endpoint}/recover", """{"since":"2026-01-01T00:00:00Z"}""", Accepted, NotFound, Accepted, Unauthorized, Unauthorized, Unauthorized),
        new("webhooks", "DELETE", "/api/webhooks/endpoints/{endpoint}", null, NoContent, NotFound, NoContent, Unauthorized, Unauthorized, Unauthorized, Fresh: true),

        // Plugins: anyone signed in reads the registry; only admins change it or deploy.
        new("plugins", "GET", "/api/plugins", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "GET", "/api/plugins/matrix-none", null, NotFound, NotFound, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "GET", "/api/plugins/matrix-none/runs", null, Ok, Ok, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/api/plugins", "", Forbidden, Forbidden, Unprocessable, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/api/plugins/matrix-none/enable", null, Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/api/plugins/matrix-none/disable", null, Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/api/plugins/matrix-none/restore", null, Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "DELETE", "/api/plugins/matrix-none", null, Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/api/plugins/matrix-none/deployments/web", """{"name":"d"}""", Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "GET", "/api/plugins/matrix-none/deployments/web/d", null, Forbidden, Forbidden, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "GET", "/api/plugins/matrix-none/some/route", null, NotFound, NotFound, NotFound, Unauthorized, Unauthorized, Unauthorized),
        new("plugins", "POST", "/internal/plugins/validate", """{"operation":"create","owner":"alice","labels":{},"options":{},"workers":null}""", NotFound, NotFound, NotFound, NotFound, Unauthorized, Unauthorized),

        // The Proxy's own paths: the route table needs the proxy token, dashboards need the owner or an admin.
        new("proxy", "GET", "/health", null, Ok, Ok, Ok, Ok, Ok, Ok),
        new("proxy", "GET", "/api/proxy/routes", null, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden),
        new("proxy", "GET", "/clusters/{cluster}/health", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("proxy", "GET", "/clusters/{cluster}/info/main/workers.html", null, Ok, Forbidden, Ok, Unauthorized, Unauthorized, Unauthorized),
        new("proxy", "GET", "/clusters/0123456789abcdef0123456789abcdef/health", null, NotFound, NotFound, NotFound, NotFound, NotFound, NotFound),
    ];
}
