using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Auth.Infrastructure;
using Platform.Auth.Model;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Apis;

public sealed class ApiTokenOptions
{
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan MaximumLifetime { get; set; } = TimeSpan.FromDays(365);
}

/// <summary>A signed-in user's platform API tokens: create (the value is shown once), list, revoke.</summary>
public static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/tokens").RequireAuthorization();
        tokens.MapPost("/", CreateTokenAsync);
        tokens.MapGet("/", ListTokensAsync);
        tokens.MapDelete("/{id:guid}", RevokeTokenAsync);
        return app;
    }

    public static async Task<Results<Created<CreatedToken>, JsonHttpResult<ErrorBody>>> CreateTokenAsync(
        CreateTokenRequest? request, HttpContext context, ApiTokenStore store, ApiTokenOptions options, TimeProvider time, ILogger<ApiTokenStore> logger)
    {
        var user = Caller(context);
        var lifetime = request?.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.DefaultLifetime;
        if (lifetime <= TimeSpan.Zero || lifetime > options.MaximumLifetime)
        {
            return TypedResults.Json(
                new ErrorBody($"expiresInSeconds must be between 1 and {(long)options.MaximumLifetime.TotalSeconds}"),
                AuthJsonContext.Default.ErrorBody,
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var name = string.IsNullOrWhiteSpace(request?.Name) ? "api token" : request.Name.Trim();
        if (name.Length > 200)
        {
            return TypedResults.Json(new ErrorBody("name is longer than 200 characters"), AuthJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        // PostgreSQL text cannot hold NUL, and no control character belongs in a label a user reads back.
        if (name.Any(char.IsControl))
        {
            return TypedResults.Json(new ErrorBody("name must not contain control characters"), AuthJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var (token, value) = await store.CreateAsync(user, name, time.GetUtcNow() + lifetime, context.RequestAborted);
        logger.LogInformation("{User} created API token {TokenId} expiring {ExpiresAt}", user, token.Id, token.ExpiresAt);
        return TypedResults.Created($"/api/tokens/{token.Id}", new CreatedToken(token.Id, token.Name, value, token.CreatedAt, token.ExpiresAt));
    }

    public static async Task<Ok<TokenList>> ListTokensAsync(HttpContext context, ApiTokenStore store)
    {
        var tokens = await store.ListActiveAsync(Caller(context), context.RequestAborted);
        return TypedResults.Ok(new TokenList([.. tokens.Select(t => new TokenSummary(t.Id, t.Name, t.CreatedAt, t.ExpiresAt, t.LastUsedAt))]));
    }

    public static async Task<Results<NoContent, NotFound<ErrorBody>>> RevokeTokenAsync(Guid id, HttpContext context, ApiTokenStore store, ILogger<ApiTokenStore> logger)
    {
        var user = Caller(context);
        if (!await store.RevokeAsync(user, id, context.RequestAborted))
        {
            return TypedResults.NotFound(new ErrorBody("No such token"));
        }

        logger.LogInformation("{User} revoked API token {TokenId}", user, id);
        return TypedResults.NoContent();
    }

    // The group requires authorization, so the verified identity is always there.
    private static string Caller(HttpContext context) =>
        context.GetPlatformIdentity()?.User ?? throw new InvalidOperationException("An authorized request without a platform identity.");
}
