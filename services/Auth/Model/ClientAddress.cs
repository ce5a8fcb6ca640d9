using System.Net;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Model;

/// <summary>
/// Who is on the other end: the connection's address, or, when the caller proves it is the Proxy (<c>X-Proxy-Token</c>
/// equal to <c>Proxy:Token</c>), the client address the Proxy appended to <c>X-Forwarded-For</c>. Anyone else's
/// <c>X-Forwarded-For</c> is ignored, so a client cannot dodge rate limits by inventing addresses.
/// </summary>
public sealed class ClientAddress(IOptions<ProxyTokenOptions> proxyToken)
{
    public bool IsFromProxy(HttpContext context) => ProxyToken.IsPresentedBy(context.Request, proxyToken.Value.Token);

    public IPAddress? Resolve(HttpContext context)
    {
        if (IsFromProxy(context))
        {
            // The last entry is the one our Proxy added; earlier entries came from the client and prove nothing.
            var forwarded = string.Join(',', context.Request.Headers["X-Forwarded-For"].ToArray()).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (forwarded.Length > 0 && IPAddress.TryParse(forwarded[^1], out var client))
            {
                return Normalize(client);
            }
        }

        return context.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : null;
    }

    /// <summary>Whether the client reached the platform over HTTPS (decides the cookie's Secure flag).</summary>
    public bool IsHttps(HttpContext context) =>
        context.Request.IsHttps
        || (IsFromProxy(context) && string.Equals(context.Request.Headers["X-Forwarded-Proto"].ToString(), "https", StringComparison.OrdinalIgnoreCase));

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
