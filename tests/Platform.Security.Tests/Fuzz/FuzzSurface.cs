namespace Platform.Security.Tests.Fuzz;

/// <summary>An endpoint to aim at: its method, its path (<c>{name}</c>, <c>{id}</c>, <c>{msg}</c> are filled in), and a valid body to spoil.</summary>
public sealed record FuzzEndpoint(string Method, string Path, string? Body = null);

/// <summary>Every endpoint of every service, by the port it is reached on (the Proxy's public port, or a service's own).</summary>
public static class FuzzSurface
{
    public const string Public = "public";

    private const string CreateCluster = """{"cluster_options":{"worker_cores":1,"worker_memory":0.5,"description":"fuzz","environment":{"A":"b"},"log_level":"info","spill_to_disk":true},"labels":{"team":"x"}}""";
    private const string Endpoint = """{"url":"http://127.0.0.1:9/hook","events":["cluster.running"],"description":"fuzz"}""";
    private const string Validate = """{"operation":"create","cluster":null,"owner":"mallory","labels":{"a":"b"},"options":{"worker_cores":"1"},"workers":1}""";

    private static readonly FuzzEndpoint[] Auth =
    [
        new("GET", "/api/auth/identity"),
        new("POST", "/api/auth/logout"),
        new("GET", "/api/identity/keys/"),
        new("POST", "/api/identity/keys/rotate"),
        new("DELETE", "/api/sessions"),
        new("POST", "/api/tokens/", """{"name":"fuzz","expiresInSeconds":3600}"""),
        new("GET", "/api/tokens/"),
        new("DELETE", "/api/tokens/{id}"),
    ];

    private static readonly FuzzEndpoint[] Clusters =
    [
        new("GET", "/api/health"),
        new("GET", "/api/version"),
        new("GET", "/api/v1/options"),
        new("GET", "/api/v1/clusters/?status=RUNNING,PENDING"),
        new("POST", "/api/v1/clusters/", CreateCluster),
        new("GET", "/api/v1/clusters/{name}?wait=0"),
        new("DELETE", "/api/v1/clusters/{name}"),
        new("POST", "/api/v1/clusters/{name}/scale", """{"count":2}"""),
        new("POST", "/api/v1/clusters/{name}/adapt", """{"minimum":0,"maximum":2,"active":true}"""),
        new("GET", "/api/platform/clusters/{name}"),
        new("GET", "/api/platform/clusters/{name}/logs/scheduler?lines=10"),
        new("PUT", "/api/platform/clusters/{name}/labels", """{"team":"x","cost-centre":"42"}"""),
    ];

    private static readonly FuzzEndpoint[] Webhooks =
    [
        new("GET", "/api/webhooks/event-types"),
        new("POST", "/api/webhooks/endpoints", Endpoint),
        new("GET", "/api/webhooks/endpoints"),
        new("GET", "/api/webhooks/endpoints/{id}"),
        new("PATCH", "/api/webhooks/endpoints/{id}", """{"enabled":false,"description":"x","events":null}"""),
        new("DELETE", "/api/webhooks/endpoints/{id}"),
        new("GET", "/api/webhooks/endpoints/{id}/secret"),
        new("POST", "/api/webhooks/endpoints/{id}/secret/rotate"),
        new("POST", "/api/webhooks/endpoints/{id}/test"),
        new("GET", "/api/webhooks/endpoints/{id}/messages?limit=10&iterator=abc"),
        new("GET", "/api/webhooks/endpoints/{id}/messages/{msg}"),
        new("GET", "/api/webhooks/endpoints/{id}/messages/{msg}/attempts"),
        new("POST", "/api/webhooks/endpoints/{id}/messages/{msg}/retry"),
        new("POST", "/api/webhooks/endpoints/{id}/recover", """{"since":"2026-01-01T00:00:00Z"}"""),
    ];

    private static readonly FuzzEndpoint[] Plugins =
    [
        new("GET", "/api/plugins"),
        new("POST", "/api/plugins", "PK\u0003\u0004not a package"),
        new("GET", "/api/plugins/{name}"),
        new("GET", "/api/plugins/{name}/runs?limit=5&cluster={name}"),
        new("POST", "/api/plugins/{name}/enable"),
        new("POST", "/api/plugins/{name}/disable"),
        new("POST", "/api/plugins/{name}/restore"),
        new("DELETE", "/api/plugins/{name}"),
        new("POST", "/api/plugins/{name}/deployments/{name}", """{"name":"d","settings":{"a":"b"}}"""),
        new("GET", "/api/plugins/{name}/deployments/{name}/{name}"),
        new("PUT", "/api/plugins/{name}/some/route", """{"a":1}"""),
        new("POST", "/internal/plugins/validate", Validate),
    ];

    private static readonly FuzzEndpoint[] Common =
    [
        new("GET", "/health"),
        new("GET", "/alive"),
        new("GET", "/"),
        new("GET", "/{name}"),
    ];

    private static readonly FuzzEndpoint[] ProxyOwn =
    [
        new("GET", "/api/proxy/routes"),
        new("GET", "/clusters/{name}/"),
        new("GET", "/clusters/{name}"),
        new("POST", "/clusters/{name}/api/v1/x", """{"a":1}"""),
    ];

    public static IReadOnlyList<string> Targets { get; } = [Public, "auth", "clusters", "webhooks", "plugins"];

    public static IReadOnlyList<FuzzEndpoint> For(string target) => target switch
    {
        Public => [.. Auth, .. Clusters, .. Webhooks, .. Plugins.Where(e => !e.Path.StartsWith("/internal", StringComparison.Ordinal)), .. ProxyOwn, .. Common],
        "auth" => [.. Auth, .. Common],
        "clusters" => [.. Clusters, new("GET", "/internal/routes"), .. Common],
        "webhooks" => [.. Webhooks, .. Common],
        "plugins" => [.. Plugins, .. Common],
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, null),
    };
}
