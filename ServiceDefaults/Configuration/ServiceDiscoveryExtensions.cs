using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace Platform.ServiceDefaults.Configuration;

public static class ServiceDiscoveryExtensions
{
    /// <summary>
    /// Whether <c>services:&lt;name&gt;</c> (env <c>services__&lt;name&gt;__http__0</c>) names an endpoint for the service;
    /// without one, service discovery passes the name through to DNS, which is right in Kubernetes only.
    /// </summary>
    public static bool HasServiceEndpoint(this IConfiguration configuration, string serviceName) =>
        configuration.GetSection($"services:{serviceName}").Exists();

    /// <summary>
    /// The standard resilience handler for a client that calls another platform service. Retries and the circuit
    /// breaker react to failed connections and timeouts only: the other service's answers (Auth's 429 or 502) are
    /// its verdict and go back unchanged, and one client's refusals must not open the circuit for everyone.
    /// </summary>
    public static IHttpClientBuilder AddServiceResilience(this IHttpClientBuilder http, TimeSpan totalTimeout)
    {
        http.AddStandardResilienceHandler(options =>
        {
            options.TotalRequestTimeout.Timeout = totalTimeout;
            options.AttemptTimeout.Timeout = totalTimeout / 2;
            options.Retry.MaxRetryAttempts = 2;
            options.Retry.Delay = TimeSpan.FromMilliseconds(100);
            options.Retry.ShouldHandle = args => ValueTask.FromResult(IsConnectionFailure(args.Outcome));
            options.CircuitBreaker.ShouldHandle = args => ValueTask.FromResult(IsConnectionFailure(args.Outcome));
        });
        return http;
    }

    /// <summary>True for what a caller of <see cref="AddServiceResilience"/> sees when the other service is unreachable.</summary>
    public static bool IsUnreachable(Exception exception) =>
        exception is HttpRequestException or TaskCanceledException or ExecutionRejectedException;

    private static bool IsConnectionFailure(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException;
}
