using Platform.Webhooks.Delivery;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Apis;

/// <summary>What the webhook endpoints need, bundled for <c>[AsParameters]</c>.</summary>
public sealed class WebhookServices(
    EndpointStore endpoints,
    MessageStore messages,
    EndpointSecrets secrets,
    DestinationGuard destinations,
    WebhookSettings settings,
    TimeProvider time)
{
    public EndpointStore Endpoints { get; } = endpoints;
    public MessageStore Messages { get; } = messages;
    public EndpointSecrets Secrets { get; } = secrets;
    public DestinationGuard Destinations { get; } = destinations;
    public WebhookSettings Settings { get; } = settings;
    public TimeProvider Time { get; } = time;
}
