using System.Runtime.Loader;
using Platform.Auth.Abstractions;

namespace Platform.Plugins.Samples.Badge;

/// <summary>
/// A stand-in for a company's own scheme: <c>Authorization: Badge &lt;user&gt;:&lt;pin&gt;</c>, where the PIN is one shared
/// value from the setting <c>Pin</c> and members of <c>Admins</c> (comma list) are admins.
/// </summary>
public sealed class BadgeAuthenticator(AuthenticatorSettings settings) : IAuthenticator
{
    // Read when checking, not at construction: the Plugins service loads this plugin too (to list its capabilities)
    // without Auth's settings, and an Auth without a PIN must refuse rather than fail to start.
    private readonly string? pin = settings["Pin"] is { Length: > 0 } value ? value : null;
    private readonly HashSet<string> admins = [.. (settings["Admins"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public string Name => "badge";

    public IReadOnlyList<string> Challenges => ["Badge realm=\"sample\""];

    /// <summary>Lets a test see which load context the host put this plugin in.</summary>
    public static string LoadContextName => AssemblyLoadContext.GetLoadContext(typeof(BadgeAuthenticator).Assembly)?.Name ?? "";

    public ValueTask<AuthenticationOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.TryGetAuthorization("Badge", out var credentials))
        {
            return ValueTask.FromResult(AuthenticationOutcome.NotApplicable);
        }

        if (pin is null)
        {
            return ValueTask.FromResult(AuthenticationOutcome.Unavailable("the badge authenticator has no Pin setting"));
        }

        var parts = credentials.Split(':', 2);
        if (parts.Length != 2 || parts[0].Length == 0)
        {
            return ValueTask.FromResult(AuthenticationOutcome.Refused("malformed badge"));
        }

        return ValueTask.FromResult(parts[1] == pin
            ? AuthenticationOutcome.Success(new AuthenticatedUser(parts[0], ["badge-holders"], admins.Contains(parts[0])))
            : AuthenticationOutcome.Refused("wrong PIN", parts[0]));
    }
}
