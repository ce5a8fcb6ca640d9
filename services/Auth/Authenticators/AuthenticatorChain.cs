using Platform.Auth.Abstractions;

namespace Platform.Auth.Authenticators;

/// <summary>The configured authenticators, asked in order (<c>Auth:Type</c>); the first that recognises the credentials decides.</summary>
public sealed class AuthenticatorChain(IReadOnlyList<IAuthenticator> authenticators, ILogger<AuthenticatorChain> logger)
{
    public IReadOnlyList<IAuthenticator> Authenticators => authenticators;

    /// <summary>One <c>WWW-Authenticate</c> value per scheme of every active authenticator.</summary>
    public IReadOnlyList<string> Challenges { get; } = [.. authenticators.SelectMany(a => a.Challenges).Distinct(StringComparer.Ordinal)];

    public async Task<(string Authenticator, AuthenticationOutcome Outcome)> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        foreach (var authenticator in authenticators)
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
                return (authenticator.Name, AuthenticationOutcome.Unavailable($"authenticator {authenticator.Name} failed"));
            }

            if (outcome.Status != AuthenticationStatus.NotApplicable)
            {
                return (authenticator.Name, outcome);
            }
        }

        return ("none", AuthenticationOutcome.NotApplicable);
    }
}
