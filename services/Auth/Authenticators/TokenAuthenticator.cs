using Platform.Auth.Abstractions;
using Platform.Auth.Infrastructure;

namespace Platform.Auth.Authenticators;

/// <summary>
/// Platform API tokens (<c>plat_…</c>) as <c>Authorization: Bearer</c> or <c>Authorization: token</c>. Other bearer values
/// are left to the other authenticators. The token acts as its user with the configured groups and admin rights only:
/// memberships a Hub reported at creation time may have been withdrawn since.
/// </summary>
/// <param name="advertised">Whether 401s name <c>Bearer</c> among their challenges (when <c>token</c> is in <c>Auth:Type</c>).</param>
public sealed class TokenAuthenticator(ApiTokenStore tokens, bool advertised = true) : IAuthenticator
{
    public string Name => "token";

    public IReadOnlyList<string> Challenges => advertised ? ["Bearer"] : [];

    public async ValueTask<AuthenticationOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        if (!(request.TryGetAuthorization("Bearer", out var value) || request.TryGetAuthorization("token", out value))
            || !value.StartsWith(ApiTokenStore.Prefix, StringComparison.Ordinal))
        {
            return AuthenticationOutcome.NotApplicable;
        }

        var token = await tokens.UseAsync(value, cancellationToken);
        return token is null
            ? AuthenticationOutcome.Refused("unknown, revoked or expired API token")
            : AuthenticationOutcome.Success(new AuthenticatedUser(token.UserName));
    }
}
