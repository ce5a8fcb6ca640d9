namespace Platform.Auth.Abstractions;

public enum AuthenticationStatus
{
    /// <summary>The request carries no credentials this authenticator understands; the next one is asked.</summary>
    NotApplicable,

    /// <summary>The credentials are valid.</summary>
    Succeeded,

    /// <summary>The credentials were checked and refused.</summary>
    Refused,

    /// <summary>The credentials could not be checked because a backend (e.g. JupyterHub) is down; the client gets a 502.</summary>
    Unavailable,
}

/// <summary>
/// What an authenticator decided. <see cref="UserName"/> is the user it succeeded for or, on refusal, the name the
/// caller claimed (if any), which Auth uses to rate-limit guessing against one account.
/// </summary>
public sealed record AuthenticationOutcome
{
    private AuthenticationOutcome(AuthenticationStatus status, AuthenticatedUser? user, string? userName, string? reason)
    {
        Status = status;
        User = user;
        UserName = userName;
        Reason = reason;
    }

    public static AuthenticationOutcome NotApplicable { get; } = new(AuthenticationStatus.NotApplicable, null, null, null);

    public AuthenticationStatus Status { get; }

    public AuthenticatedUser? User { get; }

    public string? UserName { get; }

    /// <summary>Why the credentials were refused or could not be checked; safe to log (never contains the secret).</summary>
    public string? Reason { get; }

    public static AuthenticationOutcome Success(AuthenticatedUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(AuthenticationStatus.Succeeded, user, user.Name, null);
    }

    public static AuthenticationOutcome Refused(string reason, string? claimedUserName = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(AuthenticationStatus.Refused, null, claimedUserName, reason);
    }

    public static AuthenticationOutcome Unavailable(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(AuthenticationStatus.Unavailable, null, null, reason);
    }
}
