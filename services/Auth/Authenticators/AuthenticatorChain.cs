using Platform.Auth.Abstractions;
using Platform.Plugins.Loading;

namespace Platform.Auth.Authenticators;

/// <summary>
/// The configured authenticators, asked in <c>Auth:Type</c> order; the first that recognises the credentials decides.
/// A name that is not built in is a plugin's authenticator, looked up among the loaded plugins at each request, so
/// enabling or disabling its plugin takes effect without a restart. One that is not loaded accepts nothing.
/// </summary>
public sealed class AuthenticatorChain(IReadOnlyList<string> order, IReadOnlyDictionary<string, IAuthenticator> builtIn, PluginHost plugins, ILogger<AuthenticatorChain> logger)
{
    /// <summary>One <c>WWW-Authenticate</c> value per scheme of every authenticator available now.</summary>
    public IReadOnlyList<string> Challenges => [.. Current().Available.SelectMany(a => a.Challenges).Distinct(StringComparer.Ordinal)];

    /// <summary>The authenticators available now, in order, and the configured plugin authenticators that are not loaded.</summary>
    public (IReadOnlyList<IAuthenticator> Available, IReadOnlyList<string> NotLoaded) Current()
    {
        var loaded = plugins.Active.SelectMany(p => p.Registrations.Authenticators).ToList();
        var available = new List<IAuthenticator>();
        var notLoaded = new List<string>();
        foreach (var name in order)
        {
            var authenticator = builtIn.GetValueOrDefault(name) ?? loaded.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
            if (authenticator is null)
            {
                notLoaded.Add(name);
            }
            else
            {
                available.Add(authenticator);
            }
        }

        return (available, notLoaded);
    }

    /// <summary>True when <paramref name="name"/> is a configured plugin authenticator whose plugin is not loaded now.</summary>
    public bool IsNotLoaded(string name) => Current().NotLoaded.Contains(name, StringComparer.OrdinalIgnoreCase);

    public async Task<ChainOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        var (available, notLoaded) = Current();
        foreach (var authenticator in available)
        {
            AuthenticationOutcome outcome;
            try
            {
                outcome = await authenticator.AuthenticateAsync(request, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The exception's message may quote what it was given (a third-party authenticator might echo the credentials).
                logger.LogError("Authenticator {Authenticator} failed with {ExceptionType} at {Location}", authenticator.Name, e.GetType().FullName, e.TargetSite?.DeclaringType?.FullName + "." + e.TargetSite?.Name);
                return new ChainOutcome(authenticator.Name, AuthenticationOutcome.Unavailable($"authenticator {authenticator.Name} failed"), notLoaded);
            }

            if (outcome.Status != AuthenticationStatus.NotApplicable)
            {
                return new ChainOutcome(authenticator.Name, outcome, notLoaded);
            }
        }

        return new ChainOutcome("none", AuthenticationOutcome.NotApplicable, notLoaded);
    }
}

/// <summary>Which authenticator decided and how; <see cref="NotLoaded"/> names configured plugin authenticators that could not be asked.</summary>
public sealed record ChainOutcome(string Authenticator, AuthenticationOutcome Outcome, IReadOnlyList<string> NotLoaded);
