using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.ServiceDefaults.Errors;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Apis;

/// <summary>The delivery log of an endpoint: its messages, each one's attempts, and sending them again.</summary>
public static class MessagesApi
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 250;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/webhooks/endpoints/{id:guid}").RequireAuthorization();
        api.MapGet("/messages", ListMessagesAsync);
        api.MapGet("/messages/{msgId}", GetMessageAsync);
        api.MapGet("/messages/{msgId}/attempts", ListAttemptsAsync);
        api.MapPost("/messages/{msgId}/retry", RetryMessageAsync);
        api.MapPost("/recover", RecoverAsync);
        return app;
    }

    /// <summary>Newest first; <c>?status=pending|succeeded|failed</c>, <c>?limit=</c> (1-250), <c>?before=</c> from the previous page's <c>next</c>.</summary>
    public static async Task<Results<Ok<MessagePage>, JsonHttpResult<ErrorBody>>> ListMessagesAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, string? status, int? limit, string? before, CancellationToken cancellationToken)
    {
        if (await EndpointsApi.FindOwnAsync(context, services, id, cancellationToken) is null)
        {
            return EndpointsApi.NotFound(id);
        }

        if (status is not null && !MessageStatus.IsValid(status))
        {
            return EndpointsApi.Error(StatusCodes.Status422UnprocessableEntity, $"status must be pending, succeeded or failed, not '{status}'");
        }

        if (limit is < 1 or > MaxPageSize)
        {
            return EndpointsApi.Error(StatusCodes.Status422UnprocessableEntity, $"limit must be between 1 and {MaxPageSize}");
        }

        long? cursor = null;
        if (before is not null)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return EndpointsApi.Error(StatusCodes.Status422UnprocessableEntity, "before must be the next value of a previous page");
            }

            cursor = parsed;
        }

        var size = limit ?? DefaultPageSize;
        var messages = await services.Messages.ListAsync(id, status, cursor, size, cancellationToken);
        var next = messages.Count == size ? messages[^1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new MessagePage([.. messages.Select(MessageView.From)], next));
    }

    public static async Task<Results<Ok<MessageView>, JsonHttpResult<ErrorBody>>> GetMessageAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, string msgId, CancellationToken cancellationToken)
    {
        if (await EndpointsApi.FindOwnAsync(context, services, id, cancellationToken) is null)
        {
            return EndpointsApi.NotFound(id);
        }

        var message = await services.Messages.GetAsync(id, msgId, cancellationToken);
        return message is null ? MessageNotFound(msgId) : TypedResults.Ok(MessageView.From(message));
    }

    public static async Task<Results<Ok<List<AttemptView>>, JsonHttpResult<ErrorBody>>> ListAttemptsAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, string msgId, CancellationToken cancellationToken)
    {
        if (await EndpointsApi.FindOwnAsync(context, services, id, cancellationToken) is null)
        {
            return EndpointsApi.NotFound(id);
        }

        var message = await services.Messages.GetAsync(id, msgId, cancellationToken);
        if (message is null)
        {
            return MessageNotFound(msgId);
        }

        var attempts = await services.Messages.AttemptsAsync(message.Seq, cancellationToken);
        return TypedResults.Ok(attempts.Select(AttemptView.From).ToList());
    }

    /// <summary>Sends one message again now, with its original webhook-id, whatever its status.</summary>
    public static async Task<Results<Accepted<QueuedMessage>, JsonHttpResult<ErrorBody>>> RetryMessageAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, string msgId, CancellationToken cancellationToken)
    {
        var endpoint = await EndpointsApi.FindOwnAsync(context, services, id, cancellationToken);
        if (endpoint is null)
        {
            return EndpointsApi.NotFound(id);
        }

        if (!endpoint.Enabled)
        {
            return EndpointsApi.Error(StatusCodes.Status409Conflict, $"Endpoint {id} is disabled; enable it first");
        }

        return await services.Messages.RetryAsync(id, msgId, cancellationToken)
            ? TypedResults.Accepted($"/api/webhooks/endpoints/{id}/messages/{msgId}/attempts", new QueuedMessage(msgId))
            : MessageNotFound(msgId);
    }

    /// <summary>Every message that failed since <c>since</c>, sent again.</summary>
    public static async Task<Results<Accepted<RecoverResult>, JsonHttpResult<ErrorBody>>> RecoverAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, RecoverRequest? body, CancellationToken cancellationToken)
    {
        var endpoint = await EndpointsApi.FindOwnAsync(context, services, id, cancellationToken);
        if (endpoint is null)
        {
            return EndpointsApi.NotFound(id);
        }

        if (body?.Since is not { } since)
        {
            return EndpointsApi.Error(StatusCodes.Status422UnprocessableEntity, "since is required: the time (ISO 8601) from which failed messages are sent again");
        }

        if (!endpoint.Enabled)
        {
            return EndpointsApi.Error(StatusCodes.Status409Conflict, $"Endpoint {id} is disabled; enable it first");
        }

        var recovered = await services.Messages.RecoverAsync(id, since, cancellationToken);
        return TypedResults.Accepted($"/api/webhooks/endpoints/{id}/messages?status=pending", new RecoverResult(recovered));
    }

    private static JsonHttpResult<ErrorBody> MessageNotFound(string msgId) =>
        EndpointsApi.Error(StatusCodes.Status404NotFound, $"Message {msgId} not found");
}
