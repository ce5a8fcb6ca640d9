namespace Platform.Contracts.Authentication;

/// <summary>A caller proved who they are. Carries no credential, only who and how.</summary>
public sealed record UserAuthenticated(
    string UserName,
    IReadOnlyList<string> Groups,
    bool IsAdmin,
    string Authenticator,
    string? ClientAddress,
    DateTimeOffset AuthenticatedAt);

/// <summary>A credential was refused. <paramref name="UserName"/> is what the caller claimed, if anything; never the secret.</summary>
public sealed record AuthenticationFailed(
    string? UserName,
    string Authenticator,
    string Reason,
    string? ClientAddress,
    DateTimeOffset FailedAt);
