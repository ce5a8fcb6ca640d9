using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>
/// Aspire's convention without its package: <c>http://auth/...</c> is sent to <c>services:auth:http:0</c>
/// (env <c>services__auth__http__0</c>). Hosts that name no configured service pass through unchanged.
/// </summary>
public sealed class ServiceEndpointResolver(IConfiguration configuration)
{
    public Uri? Resolve(string serviceName, string endpointName = "http")
    {
        var section = configuration.GetSection($"services:{serviceName}:{endpointName}");
        var first = section.GetChildren().OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        return first is null ? null : new Uri(first);
    }

    public Uri Rewrite(Uri requested)
    {
        if (!requested.IsAbsoluteUri || requested.IsLoopback || requested.HostNameType != UriHostNameType.Dns || requested.Host.Contains('.', StringComparison.Ordinal))
        {
            return requested;
        }

        // "https+http://name" is Aspire's "prefer https" scheme; we pick whichever endpoint is configured.
        var scheme = requested.Scheme;
        var target = scheme switch
        {
            "https+http" => Resolve(requested.Host, "https") ?? Resolve(requested.Host, "http"),
            "https" => Resolve(requested.Host, "https"),
            _ => Resolve(requested.Host, "http"),
        };
        if (target is null)
        {
            return requested;
        }

        var builder = new UriBuilder(requested) { Scheme = target.Scheme, Host = target.Host, Port = target.Port };
        return builder.Uri;
    }
}

internal sealed class ServiceDiscoveryHandler(ServiceEndpointResolver resolver) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri)
        {
            request.RequestUri = resolver.Rewrite(uri);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

public static class ServiceDiscoveryExtensions
{
    public static IServiceCollection AddPlatformServiceDiscovery(this IServiceCollection services)
    {
        services.AddSingleton<ServiceEndpointResolver>();
        services.AddTransient<ServiceDiscoveryHandler>();
        services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler<ServiceDiscoveryHandler>());
        return services;
    }
}
