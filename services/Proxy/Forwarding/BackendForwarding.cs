using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Errors;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Platform.Proxy.Forwarding;

/// <summary>
/// The shared machinery of both forwarders: pooled connection handlers (YARP's defaults: no system proxy, no
/// redirects, no cookie jar), YARP's forwarder, and platform services by name through service discovery.
/// </summary>
public sealed class BackendForwarding(IHttpForwarder forwarder, IForwarderHttpClientFactory clients, IConfiguration configuration, ILogger<BackendForwarding> logger) : IDisposable
{
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(100) };

    /// <summary>For platform services: the service-discovery factory resolves <c>http://auth</c> on each request.</summary>
    private readonly HttpMessageInvoker services = clients.CreateClient(new ForwarderHttpClientContext { NewConfig = HttpClientConfig.Empty });

    /// <summary>For cluster dashboards, addressed by IP and port: nothing to resolve.</summary>
    private readonly HttpMessageInvoker dashboards = new ForwarderHttpClientFactory().CreateClient(new ForwarderHttpClientContext { NewConfig = HttpClientConfig.Empty });

    /// <summary>Whether the service has a configured endpoint (<c>services:&lt;name&gt;</c>).</summary>
    public bool IsConfigured(string service) => configuration.HasServiceEndpoint(service);

    /// <summary>Forwards the request to a platform service (the path comes from <paramref name="transformer"/>).</summary>
    public Task ForwardToServiceAsync(HttpContext context, string service, HttpTransformer transformer) =>
        SendAsync(context, $"http://{service}", services, transformer);

    /// <summary>Forwards the request to <paramref name="destination"/> (a base address; the path comes from <paramref name="transformer"/>).</summary>
    public Task ForwardAsync(HttpContext context, string destination, HttpTransformer transformer) =>
        SendAsync(context, destination, dashboards, transformer);

    private async Task SendAsync(HttpContext context, string destination, HttpMessageInvoker invoker, HttpTransformer transformer)
    {
        // A plain HTTP/1.1 CONNECT asks for a tunnel, which no backend offers: YARP would fail it as a 502 after trying.
        if (HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "CONNECT is not supported");
            return;
        }

        var error = await forwarder.SendAsync(context, destination, invoker, RequestConfig, transformer);
        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            return;
        }

        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (error is ForwarderError.RequestBodyClient or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled)
        {
            // The client's own fault (a body over the limit, broken chunking) or the client gone: not the backend's.
            var bad = ClientError(exception);
            logger.LogDebug("Forwarding {Path}: the client's request failed: {Error} {Reason}", context.Request.Path.Value, error, exception?.Message);
            context.Response.Headers.Connection = "close";
            await JsonErrors.WriteAsync(context, bad?.StatusCode ?? StatusCodes.Status400BadRequest, bad?.Message ?? "The request body could not be read");
            return;
        }

        if (error == ForwarderError.RequestBodyDestination)
        {
            // The service stopped reading the body: it answered early (a 400 for a body it cannot use) and closed, and YARP
            // drops that answer when the upload then fails. The body was refused, not the service unavailable.
            logger.LogInformation("Forwarding {Path} to {Destination}: the service stopped reading the request body: {Reason}", context.Request.Path.Value, destination, exception?.Message);
            context.Response.Headers.Connection = "close";
            await JsonErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "The service refused the request body");
            return;
        }

        logger.LogWarning("Forwarding {Path} to {Destination} failed: {Error} {Reason}", context.Request.Path.Value, destination, error, exception?.Message);
        await JsonErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "Upstream service unavailable");
    }

    private static BadHttpRequestException? ClientError(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad)
            {
                return bad;
            }
        }

        return null;
    }

    public void Dispose()
    {
        services.Dispose();
        dashboards.Dispose();
    }
}

/// <summary>
/// YARP's default copy of the request and response, plus: identity headers replaced by Auth's assertion, the request
/// sent to <see cref="PathOverride"/> when set, and Auth's <c>Set-Cookie</c> (a new session) handed to the client.
/// </summary>
public sealed class PlatformTransformer : HttpTransformer
{
    public string? Assertion { get; init; }
    public IReadOnlyList<string> SetCookies { get; init; } = [];
    public PathString? PathOverride { get; init; }

    /// <summary>For dashboards: cluster code must not see the platform credentials that reached the Proxy.</summary>
    public bool StripCredentials { get; init; }

    /// <summary>
    /// For dashboards: the public prefix (<c>/clusters/{name}</c>) that replaces <see cref="BackendBasePath"/> in a
    /// redirect's <c>Location</c>, which the backend writes for its own root.
    /// </summary>
    public string? PublicPrefix { get; init; }

    /// <summary>The backend's own base path (no trailing slash; empty for its root).</summary>
    public string BackendBasePath { get; init; } = "";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (PathOverride is { } path)
        {
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, httpContext.Request.QueryString);
        }

        IdentityHeaders.Replace(proxyRequest.Headers, Assertion);
        if (StripCredentials)
        {
            proxyRequest.Headers.Remove(HeaderNames.Authorization);
            if (httpContext.Request.Cookies.ContainsKey(ForwardAuth.SessionCookie))
            {
                proxyRequest.Headers.Remove(HeaderNames.Cookie);
                var others = httpContext.Request.Cookies.Where(c => c.Key != ForwardAuth.SessionCookie).Select(c => $"{c.Key}={c.Value}").ToList();
                if (others.Count > 0)
                {
                    proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Cookie, string.Join("; ", others));
                }
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (PublicPrefix is not null && proxyResponse?.Headers.Location is { } location)
        {
            var request = httpContext.Request;
            Uri[] selves = proxyResponse.RequestMessage?.RequestUri is { } backend
                ? [backend, new Uri($"{request.Scheme}://{request.Host}")]
                : [new Uri($"{request.Scheme}://{request.Host}")];
            if (RedirectLocation.Rewrite(location.OriginalString, selves, BackendBasePath, PublicPrefix) is { } rewritten)
            {
                httpContext.Response.Headers.Location = rewritten;
            }
        }

        foreach (var cookie in SetCookies)
        {
            httpContext.Response.Headers.Append(HeaderNames.SetCookie, cookie);
        }

        return result;
    }
}
