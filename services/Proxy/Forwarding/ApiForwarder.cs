namespace Platform.Proxy.Forwarding;

/// <summary>
/// The HTTP front door for <c>/api/...</c>: picks the owning service by path, asks Auth who the caller is, and forwards
/// with the signed assertion. Paths a caller may use anonymously skip the question.
/// </summary>
public static class ApiForwarder
{
    /// <summary>Path prefix → owning service (the longest matching prefix wins; Clusters owns the rest of <c>/api</c>).</summary>
    private static readonly (string Prefix, string Service)[] Owners =
    [
        ("/api/auth", "auth"),
        ("/api/identity", "auth"),
        ("/api/tokens", "auth"),
        ("/api/sessions", "auth"),
        ("/api/webhooks", "webhooks"),
        ("/api/plugins", "plugins"),
    ];

    /// <summary>Health, version and Auth's public keys are public; Auth's own <c>/api/auth/*</c> checks credentials itself.</summary>
    private static readonly string[] Anonymous = ["/api/health", "/api/version", "/api/auth"];

    /// <summary>Public as the path itself only: under it, <c>/api/identity/keys/rotate</c> needs the caller (an admin).</summary>
    private const string PublishedKeys = "/api/identity/keys";

    public static IEndpointRouteBuilder MapApiForwarding(this IEndpointRouteBuilder app)
    {
        app.Map("/api/{**rest}", ForwardAsync);
        return app;
    }

    public static string OwnerOf(PathString path)
    {
        foreach (var (prefix, service) in Owners)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return service;
            }
        }

        return "clusters";
    }

    public static bool IsAnonymous(PathString path) =>
        Anonymous.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        || string.Equals(path.Value?.TrimEnd('/'), PublishedKeys, StringComparison.OrdinalIgnoreCase);

    public static async Task ForwardAsync(HttpContext context, BackendForwarding forwarding, ForwardAuth auth)
    {
        var service = OwnerOf(context.Request.Path);
        if (!forwarding.IsConfigured(service))
        {
            await ServiceDefaults.Errors.JsonErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"The {service} service is not configured");
            return;
        }

        string? assertion = null;
        IReadOnlyList<string> setCookies = [];
        if (!IsAnonymous(context.Request.Path))
        {
            var answer = await auth.IdentifyAsync(context);
            if (answer.Caller is null)
            {
                await answer.WriteRefusalAsync(context);
                return;
            }

            assertion = answer.Caller.Assertion;
            setCookies = answer.SetCookies;
        }

        await forwarding.ForwardToServiceAsync(context, service, new PlatformTransformer { Assertion = assertion, SetCookies = setCookies });
    }
}
