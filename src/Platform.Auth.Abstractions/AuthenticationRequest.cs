using System.Net;

namespace Platform.Auth.Abstractions;

/// <summary>
/// What an authenticator may look at: the client's headers (case-insensitive names) and its address,
/// already resolved from <c>X-Forwarded-For</c> when the caller is the trusted proxy.
/// </summary>
public sealed class AuthenticationRequest
{
    private readonly Dictionary<string, string[]> headers;

    public AuthenticationRequest(IEnumerable<KeyValuePair<string, string[]>> headers, IPAddress? clientAddress)
    {
        ArgumentNullException.ThrowIfNull(headers);
        this.headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            this.headers[name] = this.headers.TryGetValue(name, out var existing) ? [.. existing, .. values] : values;
        }

        ClientAddress = clientAddress;
    }

    public IPAddress? ClientAddress { get; }

    public IReadOnlyCollection<string> HeaderNames => headers.Keys;

    /// <summary>All values of a header, or an empty list.</summary>
    public IReadOnlyList<string> GetHeaderValues(string name) => headers.TryGetValue(name, out var values) ? values : [];

    /// <summary>The single value of a header, or null when it is missing or repeated.</summary>
    public string? GetHeader(string name) => headers.TryGetValue(name, out var values) && values.Length == 1 ? values[0] : null;

    /// <summary>
    /// The credentials of <c>Authorization: &lt;scheme&gt; &lt;credentials&gt;</c> when the scheme matches (case-insensitive).
    /// </summary>
    public bool TryGetAuthorization(string scheme, out string credentials)
    {
        credentials = "";
        var header = GetHeader("Authorization");
        if (header is null)
        {
            return false;
        }

        var separator = header.IndexOf(' ', StringComparison.Ordinal);
        if (separator <= 0 || !header.AsSpan(0, separator).Equals(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        credentials = header[(separator + 1)..].Trim();
        return credentials.Length > 0;
    }
}
