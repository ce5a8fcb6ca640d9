using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Apis;

/// <summary>
/// Subscriptions: a user's endpoints, their signing secrets and test messages. A caller sees only their own
/// endpoints (another user's answer 404, so ids reveal nothing); admins may open any.
/// </summary>
public static class EndpointsApi
{
    private const int MaxDescriptionLength = 1000;

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/webhooks").RequireAuthorization();
        api.MapGet("/event-types", GetEventTypes);
        api.MapPost("/endpoints", CreateEndpointAsync);
        api.MapGet("/endpoints", ListEndpointsAsync);
        api.MapGet("/endpoints/{id:guid}", GetEndpointAsync);
        api.MapPatch("/endpoints/{id:guid}", UpdateEndpointAsync);
        api.MapDelete("/endpoints/{id:guid}", DeleteEndpointAsync);
        api.MapGet("/endpoints/{id:guid}/secret", GetSecretAsync);
        api.MapPost("/endpoints/{id:guid}/secret/rotate", RotateSecretAsync);
        api.MapPost("/endpoints/{id:guid}/test", SendTestAsync);
        app.MapMessagesApi();
        return app;
    }

    public static Ok<List<EventTypeView>> GetEventTypes() =>
        TypedResults.Ok(WebhookEventTypes.All.Select(t => new EventTypeView(t.Name, t.Description, t.AdminOnly)).ToList());

    public static async Task<Results<Created<EndpointView>, JsonHttpResult<ErrorBody>>> CreateEndpointAsync(
        HttpContext context, [AsParameters] WebhookServices services, CreateEndpointRequest? body, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        if (!services.Secrets.IsAvailable)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, EndpointSecrets.MissingKeyMessage);
        }

        if (body is null)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "Expected a JSON object with url, events (optional) and description (optional)");
        }

        if (CheckEvents(body.Events, caller) is { } eventsError)
        {
            return eventsError;
        }

        if (DescriptionProblem(body.Description) is { } descriptionError)
        {
            return descriptionError;
        }

        var (destination, url) = await services.Destinations.CheckAsync(body.Url, cancellationToken);
        if (url is null)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, destination.Reason!);
        }

        var secret = WebhookSecret.Generate();
        var endpoint = await services.Endpoints.CreateAsync(
            caller.User, caller.IsAdmin, url.AbsoluteUri, body.Description ?? "", body.Events?.Distinct(StringComparer.Ordinal).ToList(),
            services.Secrets.Seal(secret), cancellationToken);
        return TypedResults.Created($"/api/webhooks/endpoints/{endpoint.Id}", EndpointView.From(endpoint, secret));
    }

    public static async Task<Ok<List<EndpointView>>> ListEndpointsAsync(HttpContext context, [AsParameters] WebhookServices services, CancellationToken cancellationToken)
    {
        var endpoints = await services.Endpoints.ListAsync(Caller(context).User, cancellationToken);
        return TypedResults.Ok(endpoints.Select(e => EndpointView.From(e)).ToList());
    }

    public static async Task<Results<Ok<EndpointView>, JsonHttpResult<ErrorBody>>> GetEndpointAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        var endpoint = await FindOwnAsync(context, services, id, cancellationToken);
        return endpoint is null ? NotFound(id) : TypedResults.Ok(EndpointView.From(endpoint));
    }

    /// <summary>Changes any of url, events (null: all), description and enabled; enabling clears why it was disabled.</summary>
    public static async Task<Results<Ok<EndpointView>, JsonHttpResult<ErrorBody>>> UpdateEndpointAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, JsonObject? body, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        if (await FindOwnAsync(context, services, id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        if (body is null)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "Expected a JSON object with any of url, events, description and enabled");
        }

        if (body.Select(p => p.Key).FirstOrDefault(k => k is not ("url" or "events" or "description" or "enabled")) is { } unknown)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, $"'{unknown}' cannot be changed; use url, events, description or enabled");
        }

        string? url = null;
        if (body.ContainsKey("url"))
        {
            var (destination, checkedUrl) = await services.Destinations.CheckAsync(AsString(body["url"]), cancellationToken);
            if (checkedUrl is null)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, destination.Reason!);
            }

            url = checkedUrl.AbsoluteUri;
        }

        List<string>? events = null;
        if (body["events"] is { } eventsNode)
        {
            if (eventsNode is not JsonArray array || array.Any(e => e?.GetValueKind() != JsonValueKind.String))
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "events must be a list of event type names, or null for all");
            }

            events = [.. array.Select(e => e!.GetValue<string>()).Distinct(StringComparer.Ordinal)];
            if (CheckEvents(events, caller) is { } eventsError)
            {
                return eventsError;
            }
        }

        string? description = null;
        if (body.ContainsKey("description"))
        {
            if (body["description"] is { } node && node.GetValueKind() != JsonValueKind.String)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "description must be a string");
            }

            description = AsString(body["description"]) ?? "";
            if (DescriptionProblem(description) is { } descriptionError)
            {
                return descriptionError;
            }
        }

        bool? enabled = null;
        if (body.ContainsKey("enabled"))
        {
            if (body["enabled"]?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "enabled must be true or false");
            }

            enabled = body["enabled"]!.GetValue<bool>();
        }

        var updated = await services.Endpoints.UpdateAsync(id, new EndpointChanges(url, description, body.ContainsKey("events"), events, enabled), cancellationToken);
        return updated is null ? NotFound(id) : TypedResults.Ok(EndpointView.From(updated));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorBody>>> DeleteEndpointAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        if (await FindOwnAsync(context, services, id, cancellationToken) is null || !await services.Endpoints.DeleteAsync(id, cancellationToken))
        {
            return NotFound(id);
        }

        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<SecretView>, JsonHttpResult<ErrorBody>>> GetSecretAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        var endpoint = await FindOwnAsync(context, services, id, cancellationToken);
        if (endpoint is null)
        {
            return NotFound(id);
        }

        if (!services.Secrets.IsAvailable)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, EndpointSecrets.MissingKeyMessage);
        }

        return services.Secrets.TryUnseal(endpoint.SealedSecret) is { } secret
            ? TypedResults.Ok(new SecretView(secret))
            : Error(StatusCodes.Status409Conflict, EndpointSecrets.UnreadableMessage);
    }

    /// <summary>A new secret; the old one keeps signing next to it for the rotation overlap (24 h), so receivers switch without a gap.</summary>
    public static async Task<Results<Ok<SecretView>, JsonHttpResult<ErrorBody>>> RotateSecretAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        if (await FindOwnAsync(context, services, id, cancellationToken) is not { } endpoint)
        {
            return NotFound(id);
        }

        if (!services.Secrets.IsAvailable)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, EndpointSecrets.MissingKeyMessage);
        }

        var secret = WebhookSecret.Generate();
        // A secret the sealing key no longer opens cannot keep signing next to the new one: it is dropped.
        var overlap = services.Secrets.TryUnseal(endpoint.SealedSecret) is null ? TimeSpan.Zero : services.Settings.Delivery.RotationOverlap;
        var rotated = await services.Endpoints.RotateSecretAsync(id, services.Secrets.Seal(secret), overlap, cancellationToken);
        return rotated is null ? NotFound(id) : TypedResults.Ok(new SecretView(secret));
    }

    public static async Task<Results<Accepted<QueuedMessage>, JsonHttpResult<ErrorBody>>> SendTestAsync(
        HttpContext context, [AsParameters] WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        var endpoint = await FindOwnAsync(context, services, id, cancellationToken);
        if (endpoint is null)
        {
            return NotFound(id);
        }

        if (!endpoint.Enabled)
        {
            return Error(StatusCodes.Status409Conflict, $"Endpoint {id} is disabled; enable it first");
        }

        var webhookId = await services.Messages.EnqueueTestAsync(id, WebhookPayloads.Test(services.Time.GetUtcNow(), id), cancellationToken);
        if (webhookId is null)
        {
            return NotFound(id);
        }

        return TypedResults.Accepted($"/api/webhooks/endpoints/{id}/messages/{webhookId}/attempts", new QueuedMessage(webhookId));
    }

    internal static PlatformIdentity Caller(HttpContext context) =>
        context.GetPlatformIdentity() ?? throw new InvalidOperationException("RequireAuthorization let a request without an identity through.");

    internal static async Task<WebhookEndpoint?> FindOwnAsync(HttpContext context, WebhookServices services, Guid id, CancellationToken cancellationToken)
    {
        var caller = Caller(context);
        var endpoint = await services.Endpoints.GetAsync(id, cancellationToken);
        return endpoint is not null && endpoint.IsVisibleTo(caller.User, caller.IsAdmin) ? endpoint : null;
    }

    internal static JsonHttpResult<ErrorBody> Error(int status, string message) => TypedResults.Json(new ErrorBody(message), statusCode: status);

    internal static JsonHttpResult<ErrorBody> NotFound(Guid id) => Error(StatusCodes.Status404NotFound, $"Webhook endpoint {id} not found");

    // PostgreSQL text cannot hold NUL: refused here rather than failing the insert as a 500.
    private static JsonHttpResult<ErrorBody>? DescriptionProblem(string? description) => description switch
    {
        { Length: > MaxDescriptionLength } => Error(StatusCodes.Status422UnprocessableEntity, $"description must be at most {MaxDescriptionLength} characters"),
        not null when description.Contains('\0', StringComparison.Ordinal) => Error(StatusCodes.Status422UnprocessableEntity, "description must not contain NUL characters"),
        _ => null,
    };

    private static JsonHttpResult<ErrorBody>? CheckEvents(IReadOnlyList<string>? events, PlatformIdentity caller)
    {
        if (events is null)
        {
            return null;
        }

        if (events.Count == 0)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, "events must name at least one event type, or be omitted for all");
        }

        foreach (var name in events)
        {
            var type = WebhookEventTypes.Find(name);
            if (type is null)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, $"Unknown event type '{name}'; GET /api/webhooks/event-types lists them");
            }

            if (type.AdminOnly && !caller.IsAdmin)
            {
                return Error(StatusCodes.Status403Forbidden, $"Only administrators may subscribe to '{name}'");
            }
        }

        return null;
    }

    private static string? AsString(JsonNode? node) =>
        node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
