using Platform.Plugins.Loading;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Model;

/// <summary>The <c>Auth</c> configuration section. Lists accept either a comma-separated string or an array.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// Authenticators in the order they are asked (<c>Auth:Type</c>): the built-in simple, jupyterhub and token, or the
    /// <c>Name</c> of an authenticator a plugin registers (loaded from the registry or <c>Plugins:ExtensionsPath</c>).
    /// </summary>
    public IReadOnlyList<string> Types { get; init; } = ["simple"];

    public IReadOnlySet<string> Admins { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Group name → members (<c>Auth:Groups:&lt;group&gt;</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Groups { get; init; } = new Dictionary<string, IReadOnlySet<string>>();

    /// <summary>How long a session cookie stays valid after the login that created it.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromDays(1);

    public string SessionCookieName { get; init; } = "platform-session";

    /// <summary>Lifetime of each identity assertion; the Proxy may cache one for less than this.</summary>
    public TimeSpan AssertionLifetime { get; init; } = IdentityAssertionSigner.DefaultLifetime;

    public static IReadOnlyList<string> BuiltInTypes { get; } = ["simple", "jupyterhub", "token"];

    public static AuthOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Auth");
        var types = ConfigurationList.Read(section.GetSection("Type")).Select(t => t.ToLowerInvariant()).Distinct().ToList();
        var groups = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var group in section.GetSection("Groups").GetChildren())
        {
            groups[group.Key] = ConfigurationList.Read(group).ToHashSet(StringComparer.Ordinal);
        }

        var options = new AuthOptions
        {
            Types = types.Count > 0 ? types : ["simple"],
            Admins = ConfigurationList.Read(section.GetSection("Admins")).ToHashSet(StringComparer.Ordinal),
            Groups = groups,
            SessionLifetime = section.GetValue("SessionLifetime", TimeSpan.FromDays(1)),
            SessionCookieName = section["SessionCookieName"] is { Length: > 0 } cookie ? cookie : "platform-session",
            AssertionLifetime = section.GetValue("AssertionLifetime", IdentityAssertionSigner.DefaultLifetime),
        };

        if (options.Types.Contains("custom") || section["Custom:Class"] is not null || section["ExtensionsDirectory"] is not null)
        {
            throw new InvalidOperationException(
                "Auth:Type custom, Auth:Custom:Class and Auth:ExtensionsDirectory are gone: package the authenticator as a plugin (Platform.Plugins.Sdk, "
                + "IPluginContext.AddAuthenticator), install it through the Plugins service or Plugins:ExtensionsPath, and list its Name in Auth:Type.");
        }

        var invalid = options.Types.Where(t => !BuiltInTypes.Contains(t) && !PluginNames.IsValid(t)).ToList();
        if (invalid.Count > 0)
        {
            throw new InvalidOperationException($"Auth:Type names {string.Join(", ", invalid)}: neither built in ({string.Join(", ", BuiltInTypes)}) nor a plugin authenticator name (lower-case letters, digits, dashes).");
        }

        if (options.AssertionLifetime <= TimeSpan.Zero || options.AssertionLifetime > IdentityAssertionVerifier.MaximumLifetime)
        {
            throw new InvalidOperationException($"Auth:AssertionLifetime must be between 0 and {IdentityAssertionVerifier.MaximumLifetime}.");
        }

        if (options.SessionLifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Auth:SessionLifetime must be positive.");
        }

        return options;
    }
}

/// <summary>Reads a list setting given as <c>"a, b"</c> (one env var) or as an array (<c>X:0</c>, <c>X:1</c>).</summary>
public static class ConfigurationList
{
    public static IReadOnlyList<string> Read(IConfigurationSection section)
    {
        IEnumerable<string?> values = section.Value is { } single
            ? single.Split(',')
            : section.GetChildren().Select(c => c.Value);
        return [.. values.Select(v => v?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)];
    }
}
