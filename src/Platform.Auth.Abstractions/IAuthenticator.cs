namespace Platform.Auth.Abstractions;

/// <summary>
/// Decides who a request is from. Auth asks each configured authenticator in turn; the first that does not answer
/// <see cref="AuthenticationOutcome.NotApplicable"/> decides. A plugin offers its own through
/// <c>IPluginContext.AddAuthenticator</c>; Auth asks it when <c>Auth:Type</c> lists its <see cref="Name"/>.
/// </summary>
public interface IAuthenticator
{
    /// <summary>Short name recorded in audit events, e.g. <c>"ldap"</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The <c>WWW-Authenticate</c> values sent with a 401, one per scheme this authenticator accepts
    /// (e.g. <c>Basic realm="Platform"</c>), so clients know which credentials to offer.
    /// </summary>
    IReadOnlyList<string> Challenges { get; }

    /// <summary>
    /// Checks the request's credentials. Return <see cref="AuthenticationOutcome.NotApplicable"/> when it carries none
    /// that this authenticator understands. Never put a secret into a refusal reason: reasons are logged and published.
    /// </summary>
    ValueTask<AuthenticationOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken);
}
