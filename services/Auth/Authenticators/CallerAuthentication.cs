using Npgsql;
using Platform.Auth.Abstractions;
using Platform.Auth.Infrastructure;
using Platform.Auth.IntegrationEvents;
using Platform.Auth.Model;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Authenticators;

/// <summary>What the forward-auth check concluded about a request.</summary>
public abstract record CallerVerdict
{
    /// <summary>Known caller; <paramref name="NewSession"/> is set when credentials (not a cookie) were checked.</summary>
    public sealed record Identified(PlatformIdentity Identity, string Assertion, NewSession? NewSession) : CallerVerdict;

    public sealed record Unauthenticated(string Error) : CallerVerdict;

    public sealed record Throttled(TimeSpan RetryAfter) : CallerVerdict;

    public sealed record Unavailable(string Error) : CallerVerdict;
}

public sealed record NewSession(string Cookie, DateTimeOffset ExpiresAt);

/// <summary>
/// Answers "who is this?" for a request: a valid session cookie is enough (no credential check, no event);
/// otherwise the authenticators check the credentials, failures are counted and throttled, and each check ends in
/// an audit event. A success opens a session, so the client's next requests only need the cookie.
/// </summary>
public sealed class CallerAuthentication(
    AuthenticatorChain authenticators,
    SessionStore sessions,
    LoginThrottle throttle,
    AuthenticationAudit audit,
    PlatformMemberships memberships,
    SigningKeyRing keys,
    ClientAddress clientAddress,
    AuthOptions options,
    NpgsqlDataSource database,
    TimeProvider time,
    ILogger<CallerAuthentication> logger)
{
    public IReadOnlyList<string> Challenges => authenticators.Challenges;

    public async Task<CallerVerdict> IdentifyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // A session opened by a plugin's authenticator ends with the plugin: disabling it locks its users out, not only new logins.
        if (context.Request.Cookies[options.SessionCookieName] is { Length: > 0 } cookie
            && await sessions.FindAsync(cookie, cancellationToken) is { } session
            && !authenticators.IsNotLoaded(session.Authenticator))
        {
            return await IdentifiedAsync(memberships.Resolve(session.User), null, cancellationToken);
        }

        var client = clientAddress.Resolve(context);
        if (await throttle.ClientBlockedForAsync(client, cancellationToken) is { } clientWait)
        {
            // Not a credential check (nothing was checked), so no audit event: a blocked flood must not become an event flood.
            logger.LogDebug("Refused a request from {Client}: too many failed attempts", client);
            return new CallerVerdict.Throttled(clientWait);
        }

        var request = new AuthenticationRequest(
            context.Request.Headers
                .Where(h => !h.Key.Equals(ProxyToken.HeaderName, StringComparison.OrdinalIgnoreCase))
                .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value.Select(v => v ?? "")])),
            client);
        var (authenticator, outcome, notLoaded) = await authenticators.AuthenticateAsync(request, cancellationToken);
        string? missing = null;
        if (outcome.Status == AuthenticationStatus.NotApplicable)
        {
            if (request.GetHeaderValues("Authorization").Count == 0)
            {
                return new CallerVerdict.Unauthenticated("Authentication required");
            }

            // Fail closed: credentials meant for a plugin authenticator that is not loaded are refused, and the caller told why.
            missing = notLoaded.Count > 0 ? $"authenticator {string.Join(", ", notLoaded)} is not loaded (its plugin is disabled or not installed)" : null;
            outcome = AuthenticationOutcome.Refused(missing is null ? "credentials of a kind no active authenticator accepts" : $"credentials of a kind no active authenticator accepts; {missing}");
        }

        if (outcome.Status == AuthenticationStatus.Unavailable)
        {
            logger.LogWarning("Could not check {Authenticator} credentials from {Client}: {Reason}", authenticator, client, outcome.Reason);
            return new CallerVerdict.Unavailable(outcome.Reason ?? "Authentication backend unavailable");
        }

        // Checked after the credentials so that a blocked account answers 429 whether or not the password was right.
        var userWait = outcome.UserName is { } claimed ? await throttle.UserBlockedForAsync(claimed, cancellationToken) : null;

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (outcome.Status == AuthenticationStatus.Succeeded && userWait is null)
        {
            var user = outcome.User!;
            var identity = memberships.Resolve(user);
            var expiresAt = time.GetUtcNow() + options.SessionLifetime;
            var newCookie = await sessions.CreateAsync(transaction, user, authenticator, expiresAt, cancellationToken);
            await audit.RecordLoginAsync(transaction, identity, authenticator, client, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Authenticated {User} with {Authenticator} from {Client}", identity.User, authenticator, client);
            return await IdentifiedAsync(identity, new NewSession(newCookie, expiresAt), cancellationToken);
        }

        var reason = userWait is not null ? "too many failed attempts for this user" : outcome.Reason!;
        if (userWait is null)
        {
            await throttle.RecordFailureAsync(transaction, client, outcome.UserName, cancellationToken);
        }

        await audit.RecordRefusalAsync(transaction, outcome.UserName, authenticator, reason, client, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Refused {Authenticator} credentials for {User} from {Client}: {Reason}", authenticator, outcome.UserName ?? "(no user name)", client, reason);
        return userWait is { } wait ? new CallerVerdict.Throttled(wait)
            : new CallerVerdict.Unauthenticated(missing is null ? "Invalid credentials" : $"Invalid credentials: {missing}");
    }

    private async Task<CallerVerdict> IdentifiedAsync(PlatformIdentity identity, NewSession? session, CancellationToken cancellationToken)
    {
        var signer = await keys.CurrentSignerAsync(cancellationToken);
        return new CallerVerdict.Identified(identity, signer.Sign(identity, options.AssertionLifetime), session);
    }
}
