namespace Platform.Proxy.Forwarding;

/// <summary>Redirects of a backend served under a public prefix (a cluster's dashboard under <c>/clusters/{name}</c>).</summary>
public static class RedirectLocation
{
    /// <summary>
    /// A backend's redirect in public terms: an absolute path under its base path, or an absolute URL to the backend
    /// itself (its own address, or the public host it was asked for, as forwarded requests keep their Host), becomes
    /// <paramref name="publicPrefix"/> + the rest. Relative references already resolve under the
    /// prefix, and redirects elsewhere are not ours to change: both give null (the header stays as it is).
    /// </summary>
    public static string? Rewrite(string location, IEnumerable<Uri> selves, string backendBasePath, string publicPrefix)
    {
        // The string, not a Uri: on Unix "/status" would parse as an absolute file:// URI.
        string pathAndQuery;
        if (location.StartsWith('/'))
        {
            if (location.StartsWith("//", StringComparison.Ordinal))
            {
                return null;
            }

            pathAndQuery = location;
        }
        else if (Uri.TryCreate(location, UriKind.Absolute, out var absolute)
            && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps)
            && selves.Any(self => Uri.Compare(absolute, self, UriComponents.HostAndPort, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0))
        {
            pathAndQuery = absolute.GetComponents(UriComponents.PathAndQuery | UriComponents.Fragment, UriFormat.UriEscaped);
        }
        else
        {
            return null;
        }

        if (backendBasePath.Length > 0)
        {
            if (!pathAndQuery.StartsWith(backendBasePath, StringComparison.Ordinal))
            {
                return null;
            }

            var rest = pathAndQuery[backendBasePath.Length..];
            if (rest.Length > 0 && rest[0] is not ('/' or '?' or '#'))
            {
                return null;
            }

            pathAndQuery = rest;
        }

        return publicPrefix + (pathAndQuery.StartsWith('/') ? pathAndQuery : "/" + pathAndQuery);
    }
}
