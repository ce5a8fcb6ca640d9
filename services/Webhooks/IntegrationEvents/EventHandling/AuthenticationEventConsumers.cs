using MassTransit;
using Npgsql;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Messaging;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents.EventHandling;

public sealed class UserAuthenticatedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<UserAuthenticatedConsumer> logger)
    : IdempotentBatchConsumer<UserAuthenticated>(database, logger)
{
    protected override async Task<Action?> HandleBatchAsync(IReadOnlyList<ConsumeContext<UserAuthenticated>> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var result = await fanOut.AdminEventsAsync(
            transaction,
            [.. messages.Select(m => (m.MessageId!.Value, WebhookEventTypes.UserAuthenticated,
                WebhookPayloads.UserAuthenticated(m.Message.AuthenticatedAt, m.Message.UserName, m.Message.Groups, m.Message.IsAdmin, m.Message.Authenticator, m.Message.ClientAddress)))],
            cancellationToken);
        return () => fanOut.Committed(result);
    }
}

public sealed class AuthenticationFailedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<AuthenticationFailedConsumer> logger)
    : IdempotentBatchConsumer<AuthenticationFailed>(database, logger)
{
    protected override async Task<Action?> HandleBatchAsync(IReadOnlyList<ConsumeContext<AuthenticationFailed>> messages, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var result = await fanOut.AdminEventsAsync(
            transaction,
            [.. messages.Select(m => (m.MessageId!.Value, WebhookEventTypes.AuthenticationFailed,
                WebhookPayloads.AuthenticationFailed(m.Message.FailedAt, m.Message.UserName, m.Message.Authenticator, m.Message.Reason, m.Message.ClientAddress)))],
            cancellationToken);
        return () => fanOut.Committed(result);
    }
}
