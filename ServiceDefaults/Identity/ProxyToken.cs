using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Errors;

namespace Platform.ServiceDefaults.Identity;

/// <summary>The secret the Proxy shares with the services it calls (<c>Proxy:Token</c>); none configured admits nobody.</summary>
public sealed class ProxyTokenOptions
{
    public const string SectionName = "Proxy";

    public string? Token { get; set; }
}

/// <summary>
/// How a service knows a request comes from the Proxy: the <c>X-Proxy-Token</c> header equals <c>Proxy:Token</c>.
/// The only copy of the header name and the comparison, so every service checks it the same way.
/// </summary>
public static class ProxyToken
{
    public const string HeaderName = "X-Proxy-Token";

    public const string RefusalMessage = "A valid proxy token is required";

    /// <summary>Fixed-time comparison of hashes: neither the token's content nor its length leaks through timing.</summary>
    public static bool Matches(string? expected, string? presented)
    {
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }

    /// <summary>Whether the request carries exactly one <c>X-Proxy-Token</c> and it matches <paramref name="expected"/>.</summary>
    public static bool IsPresentedBy(HttpRequest request, string? expected) =>
        request.Headers[HeaderName] is { Count: 1 } presented && Matches(expected, presented[0]);

    /// <summary>Adds the token to a request the Proxy sends to another service (nothing when none is configured).</summary>
    public static void Attach(HttpRequestHeaders headers, string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            headers.TryAddWithoutValidation(HeaderName, token);
        }
    }

    /// <summary>Admits only requests presenting the proxy token; others get 403 <c>{"error":…}</c>. Platform identity is not needed.</summary>
    public static TBuilder RequireProxyToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AllowAnonymous();
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var expected = http.RequestServices.GetRequiredService<IOptions<ProxyTokenOptions>>().Value.Token;
            return IsPresentedBy(http.Request, expected)
                ? await next(context)
                : TypedResults.Json(new ErrorBody(RefusalMessage), ErrorJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status403Forbidden);
        });
        return builder;
    }

    public static IServiceCollection AddProxyToken(this IServiceCollection services)
    {
        services.AddOptions<ProxyTokenOptions>().BindConfiguration(ProxyTokenOptions.SectionName);
        return services;
    }
}
