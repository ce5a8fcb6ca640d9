using Platform.Auth.Abstractions;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Model;

/// <summary>
/// Turns what an authenticator knows about a user into the platform identity: configured admins and groups
/// are added to those the authenticator (e.g. the Hub) reported. Applied on every request, so a configuration
/// change takes effect for existing sessions too.
/// </summary>
public sealed class PlatformMemberships(AuthOptions options)
{
    public PlatformIdentity Resolve(AuthenticatedUser user)
    {
        var groups = new SortedSet<string>(user.Groups, StringComparer.Ordinal);
        foreach (var (group, members) in options.Groups)
        {
            if (members.Contains(user.Name))
            {
                groups.Add(group);
            }
        }

        return new PlatformIdentity(user.Name, [.. groups], user.IsAdmin || options.Admins.Contains(user.Name));
    }
}
