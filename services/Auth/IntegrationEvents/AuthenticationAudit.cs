using System.Net;
using Npgsql;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Identity;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Auth.IntegrationEvents;

/// <summary>
/// Every credential check ends in one audit event, written to the outbox in the same transaction as its effect
/// (the new session, or the counted failure). Events carry who and how, never the credential.
/// </summary>
public sealed class AuthenticationAudit(IntegrationEventOutbox outbox, TimeProvider time)
{
    public Task RecordLoginAsync(NpgsqlTransaction transaction, PlatformIdentity identity, string authenticator, IPAddress? client, CancellationToken cancellationToken) =>
        outbox.EnqueueAsync(
            transaction,
            new UserAuthenticated(identity.User, identity.Groups, identity.IsAdmin, authenticator, client?.ToString(), time.GetUtcNow()),
            cancellationToken);

    public Task RecordRefusalAsync(NpgsqlTransaction transaction, string? claimedUser, string authenticator, string reason, IPAddress? client, CancellationToken cancellationToken)
    {
        PlatformTelemetry.AuthenticationFailures.Add(1, new KeyValuePair<string, object?>("authenticator", authenticator));
        return outbox.EnqueueAsync(
            transaction,
            new AuthenticationFailed(claimedUser, authenticator, reason, client?.ToString(), time.GetUtcNow()),
            cancellationToken);
    }
}
