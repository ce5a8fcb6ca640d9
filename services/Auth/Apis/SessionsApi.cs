using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Auth.Infrastructure;
using Platform.Auth.Model;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Apis;

/// <summary>Ending sessions: this browser's (logout) or all of the caller's.</summary>
public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/logout", LogOutAsync).AllowAnonymous();
        app.MapDelete("/api/sessions", RevokeAllSessionsAsync).RequireAuthorization();
        return app;
    }

    public static async Task<NoContent> LogOutAsync(HttpContext context, SessionStore sessions, AuthOptions options)
    {
        if (context.Request.Cookies[options.SessionCookieName] is { Length: > 0 } cookie)
        {
            await sessions.DeleteAsync(cookie, context.RequestAborted);
        }

        context.Response.Cookies.Delete(options.SessionCookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Lax });
        return TypedResults.NoContent();
    }

    public static async Task<Ok<SessionsRevoked>> RevokeAllSessionsAsync(HttpContext context, SessionStore sessions, ILogger<SessionStore> logger)
    {
        var user = context.GetPlatformIdentity()?.User ?? throw new InvalidOperationException("An authorized request without a platform identity.");
        var revoked = await sessions.DeleteForUserAsync(user, context.RequestAborted);
        logger.LogInformation("{User} ended all {Count} of their sessions", user, revoked);
        return TypedResults.Ok(new SessionsRevoked(revoked));
    }
}
