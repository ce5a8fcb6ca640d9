using System.Net.Http.Headers;
using Platform.ServiceDefaults.Identity;

namespace Platform.Proxy.Forwarding;

/// <summary>
/// Headers through which a backend might believe a caller's identity. Clients must never set them: they are removed
/// from every forwarded request and only the assertion Auth signed is attached.
/// </summary>
public static class IdentityHeaders
{
    private static readonly HashSet<string> Exact = new(StringComparer.OrdinalIgnoreCase)
    {
        PlatformIdentity.HeaderName,
        ProxyToken.HeaderName,
        "X-Forwarded-User",
        "X-Forwarded-Email",
        "X-Forwarded-Groups",
        "X-Forwarded-Preferred-Username",
        "X-Forwarded-Access-Token",
        "X-Remote-User",
        "X-Remote-Group",
        "Remote-User",
        "Remote-Groups",
        "X-User",
        "X-WebAuth-User",
        "X-Authenticated-User",
    };

    private static readonly string[] Prefixes = ["X-Auth-Request-", "X-Forwarded-User", "X-Remote-", "X-Platform-"];

    public static bool IsIdentityHeader(string name)
    {
        if (Exact.Contains(name))
        {
            return true;
        }

        foreach (var prefix in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes every identity header from an outgoing request and attaches <paramref name="assertion"/>, if any.</summary>
    public static void Replace(HttpRequestHeaders headers, string? assertion)
    {
        List<string>? doomed = null;
        foreach (var header in headers)
        {
            if (IsIdentityHeader(header.Key))
            {
                (doomed ??= []).Add(header.Key);
            }
        }

        if (doomed is not null)
        {
            foreach (var name in doomed)
            {
                headers.Remove(name);
            }
        }

        if (assertion is not null)
        {
            headers.TryAddWithoutValidation(PlatformIdentity.HeaderName, assertion);
        }
    }
}
