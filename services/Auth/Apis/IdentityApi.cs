using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Auth.Authenticators;
using Platform.Auth.Infrastructure;
using Platform.Auth.Model;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Auth.Apis;

/// <summary>The forward-auth check the Proxy makes per request, and the keys other services verify its answers with.</summary>
public static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/auth/identity", IdentifyCallerAsync).AllowAnonymous();

        var keys = app.MapGroup("/api/identity/keys");
        keys.MapGet("/", GetPublishedKeysAsync).AllowAnonymous();
        keys.MapPost("/rotate", RotateSigningKeyAsync).RequireAuthorization(PlatformPolicies.Admin);
        return app;
    }

    public static async Task<Results<Ok<CallerIdentity>, JsonHttpResult<ErrorBody>>> IdentifyCallerAsync(
        HttpContext context, [AsParameters] IdentityServices services)
    {
        // Every answer is about this request's credentials; no shared cache may keep it.
        context.Response.Headers.CacheControl = "no-store";
        var verdict = await services.Authentication.IdentifyAsync(context, context.RequestAborted);
        switch (verdict)
        {
            case CallerVerdict.Identified identified:
                context.Response.Headers[PlatformIdentity.HeaderName] = identified.Assertion;
                if (identified.NewSession is { } session)
                {
                    context.Response.Cookies.Append(services.Options.SessionCookieName, session.Cookie, new CookieOptions
                    {
                        HttpOnly = true,
                        SameSite = SameSiteMode.Lax,
                        Secure = services.ClientAddress.IsHttps(context),
                        Path = "/",
                        Expires = session.ExpiresAt,
                    });
                }

                var identity = identified.Identity;
                return TypedResults.Ok(new CallerIdentity(identity.User, identity.Groups, identity.IsAdmin));

            case CallerVerdict.Throttled throttled:
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(throttled.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Error(StatusCodes.Status429TooManyRequests, "Too many failed authentication attempts; retry later");

            case CallerVerdict.Unavailable unavailable:
                return Error(StatusCodes.Status502BadGateway, unavailable.Error);

            case CallerVerdict.Unauthenticated unauthenticated:
                // One header per scheme: clients pick the first scheme they support.
                foreach (var challenge in services.Authentication.Challenges)
                {
                    context.Response.Headers.Append("WWW-Authenticate", challenge);
                }

                return Error(StatusCodes.Status401Unauthorized, unauthenticated.Error);

            default:
                throw new InvalidOperationException($"Unexpected verdict {verdict.GetType().Name}");
        }
    }

    public static async Task<Ok<IdentityKeySet>> GetPublishedKeysAsync(SigningKeyRing keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.PublishedAsync(cancellationToken));

    public static async Task<Ok<SigningKeyRotated>> RotateSigningKeyAsync(SigningKeyRing keys, HttpContext context, ILogger<SigningKeyRing> logger)
    {
        var change = await keys.RotateAsync(context.RequestAborted);
        logger.LogInformation("{Admin} rotated the identity signing key; {KeyId} is published and signs from {ActivatesAt}", context.GetPlatformIdentity()?.User, change.KeyId, change.ActivatesAt);
        return TypedResults.Ok(new SigningKeyRotated(change.KeyId, change.ActivatesAt));
    }

    private static JsonHttpResult<ErrorBody> Error(int status, string message) =>
        TypedResults.Json(new ErrorBody(message), AuthJsonContext.Default.ErrorBody, statusCode: status);
}

public sealed record IdentityServices(CallerAuthentication Authentication, ClientAddress ClientAddress, AuthOptions Options);
