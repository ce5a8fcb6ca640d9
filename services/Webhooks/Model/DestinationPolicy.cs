using System.Net;
using System.Net.Sockets;

namespace Platform.Webhooks.Model;

/// <summary>A destination accepted or refused, with the reason a user can act on.</summary>
public sealed record DestinationVerdict(bool Allowed, string? Reason)
{
    public static readonly DestinationVerdict Accepted = new(true, null);

    public static DestinationVerdict Refused(string reason) => new(false, reason);
}

/// <summary>
/// Where webhooks may go (SSRF): https only, to public addresses only, except hosts the operator allows
/// (<see cref="WebhookSettings.AllowedHosts"/>), which may use http and resolve anywhere.
/// </summary>
public sealed class DestinationPolicy
{
    private readonly HashSet<string> allowedHosts;

    public DestinationPolicy(IEnumerable<string> allowedHosts)
    {
        this.allowedHosts = new HashSet<string>(allowedHosts.Select(h => h.Trim().Trim('[', ']')).Where(h => h.Length > 0), StringComparer.OrdinalIgnoreCase);
    }

    public static DestinationPolicy FromSetting(string? commaSeparated) =>
        new((commaSeparated ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public bool IsAllowedHost(string host) => allowedHosts.Contains(host.Trim('[', ']'));

    /// <summary>The URL's shape, before any name is resolved.</summary>
    public DestinationVerdict CheckUrl(string? url, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var parsed))
        {
            return DestinationVerdict.Refused("url must be an absolute http(s) URL of at most 2048 characters");
        }

        if (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
        {
            return DestinationVerdict.Refused($"url scheme '{parsed.Scheme}' is not allowed; use https");
        }

        if (parsed.UserInfo.Length > 0)
        {
            return DestinationVerdict.Refused("url must not carry credentials; the webhook signature authenticates deliveries");
        }

        if (parsed.Fragment.Length > 0)
        {
            return DestinationVerdict.Refused("url must not have a fragment");
        }

        var host = parsed.IdnHost;
        if (parsed.Scheme == Uri.UriSchemeHttp && !IsAllowedHost(host))
        {
            return DestinationVerdict.Refused($"url must use https (plain http is allowed only for hosts the operator allows)");
        }

        if (!IsAllowedHost(host) && IPAddress.TryParse(host.Trim('[', ']'), out var literal) && !IsPublic(literal))
        {
            return DestinationVerdict.Refused($"url host {host} is a loopback, private, link-local or reserved address");
        }

        uri = parsed;
        return DestinationVerdict.Accepted;
    }

    /// <summary>Every address a host resolves to must be public, unless the host is allowed; checked at creation and at connect time.</summary>
    public DestinationVerdict CheckAddresses(string host, IReadOnlyCollection<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            return DestinationVerdict.Refused($"url host {host} does not resolve");
        }

        if (IsAllowedHost(host))
        {
            return DestinationVerdict.Accepted;
        }

        return addresses.FirstOrDefault(a => !IsPublic(a)) is { } inner
            ? DestinationVerdict.Refused($"url host {host} resolves to {inner}, a loopback, private, link-local or reserved address")
            : DestinationVerdict.Accepted;
    }

    /// <summary>False for loopback, private, carrier-grade NAT, link-local (cloud metadata), multicast and reserved ranges.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 // "this" network
                || b[0] == 10
                || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128) // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254) // link-local, 169.254.169.254 metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments
                || (b[0] == 192 && b[1] == 0 && b[2] == 2) // documentation
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // benchmarking
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)
                || b[0] >= 224); // multicast, reserved, broadcast
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.Equals(IPAddress.IPv6Loopback)
                || address.Equals(IPAddress.IPv6None)
                || address.IsIPv6LinkLocal
                || address.IsIPv6SiteLocal
                || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc // unique local fc00::/7 (AWS metadata fd00:ec2::254 included)
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) // documentation
                || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) // NAT64 can reach IPv4 private space
                || address.IsIPv6Teredo
                || b.Take(10).All(x => x == 0)); // unspecified, IPv4-compatible and the rest of ::/80
        }

        return false;
    }
}
