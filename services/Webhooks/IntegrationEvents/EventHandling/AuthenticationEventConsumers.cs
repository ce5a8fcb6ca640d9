using MassTransit;
using Npgsql;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Messaging;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.IntegrationEvents.EventHandling;

public sealed class UserAuthenticatedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<UserAuthenticatedConsumer> logger)
    : IdempotentConsumer<UserAuthenticated>(database, logger)
{
    protected override Task HandleAsync(UserAuthenticated message, NpgsqlTransaction transaction, ConsumeContext<UserAuthenticated> context) =>
        fanOut.AdminEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.UserAuthenticated,
            WebhookPayloads.UserAuthenticated(message.AuthenticatedAt, message.UserName, message.Groups, message.IsAdmin, message.Authenticator, message.ClientAddress),
            context.CancellationToken);
}

public sealed class AuthenticationFailedConsumer(NpgsqlDataSource database, WebhookFanOut fanOut, ILogger<AuthenticationFailedConsumer> logger)
    : IdempotentConsumer<AuthenticationFailed>(database, logger)
{
    protected override Task HandleAsync(AuthenticationFailed message, NpgsqlTransaction transaction, ConsumeContext<AuthenticationFailed> context) =>
        fanOut.AdminEventAsync(
            transaction, context.MessageId!.Value, WebhookEventTypes.AuthenticationFailed,
            WebhookPayloads.AuthenticationFailed(message.FailedAt, message.UserName, message.Authenticator, message.Reason, message.ClientAddress),
            context.CancellationToken);
}
