using System.Text;
using Platform.Auth.Abstractions;
using Platform.Auth.Infrastructure;
using Platform.Auth.Model;

namespace Platform.Auth.Authenticators;

public sealed class SimpleAuthenticatorOptions
{
    /// <summary>The shared password every user gives; none means any password is accepted (development only).</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Outside Development, a simple authenticator without a password lets anyone in as anyone, so Auth refuses to
    /// start unless the operator sets this (<c>Auth:Simple:AllowAnyPassword=true</c>) to say that is what they want.
    /// </summary>
    public bool AllowAnyPassword { get; set; }

    public string Realm { get; set; } = "Platform";
}

/// <summary>
/// HTTP Basic with any user name (like dask-gateway's SimpleAuthenticator): an optional shared password and an
/// optional allow-list (<c>Auth:Simple:AllowedUsers</c>).
/// </summary>
public sealed class SimpleAuthenticator(SimpleAuthenticatorOptions options, IReadOnlySet<string> allowedUsers) : IAuthenticator
{
    public string Name => "simple";

    public IReadOnlyList<string> Challenges => [$"Basic realm=\"{options.Realm}\""];

    public static SimpleAuthenticator FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Auth:Simple");
        var options = section.Get<SimpleAuthenticatorOptions>() ?? new SimpleAuthenticatorOptions();
        return new SimpleAuthenticator(options, ConfigurationList.Read(section.GetSection("AllowedUsers")).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Refuses to start, outside Development, with a simple authenticator that accepts any password unless that was chosen.</summary>
    public static void EnsureSafeFor(IHostEnvironment environment, IConfiguration configuration)
    {
        var options = configuration.GetSection("Auth:Simple").Get<SimpleAuthenticatorOptions>() ?? new SimpleAuthenticatorOptions();
        if (string.IsNullOrEmpty(options.Password) && !options.AllowAnyPassword && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"Auth:Type includes 'simple' with no Auth:Simple:Password, which accepts any user with any password ({environment.EnvironmentName}). "
                + "Set Auth:Simple:Password, choose another authenticator (Auth:Type=jupyterhub with Auth:JupyterHub:Url), "
                + "or set Auth:Simple:AllowAnyPassword=true if that is really intended.");
        }
    }

    public ValueTask<AuthenticationOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        if (!request.TryGetAuthorization("Basic", out var encoded))
        {
            return ValueTask.FromResult(AuthenticationOutcome.NotApplicable);
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return ValueTask.FromResult(AuthenticationOutcome.Refused("malformed Basic credentials"));
        }

        var separator = decoded.IndexOf(':', StringComparison.Ordinal);
        var user = (separator < 0 ? decoded : decoded[..separator]).Trim();
        var password = separator < 0 ? "" : decoded[(separator + 1)..];
        if (user.Length == 0 || user.Any(char.IsControl))
        {
            return ValueTask.FromResult(AuthenticationOutcome.Refused("malformed Basic credentials"));
        }

        // Check the password before the allow-list so a refusal does not tell a guesser which names are allowed.
        if (!string.IsNullOrEmpty(options.Password) && !SecretHash.FixedTimeEquals(password, options.Password))
        {
            return ValueTask.FromResult(AuthenticationOutcome.Refused("wrong password", user));
        }

        if (allowedUsers.Count > 0 && !allowedUsers.Contains(user))
        {
            return ValueTask.FromResult(AuthenticationOutcome.Refused("user not allowed", user));
        }

        return ValueTask.FromResult(AuthenticationOutcome.Success(new AuthenticatedUser(user)));
    }
}
