using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Identity;

/// <summary>
/// The only way a service learns who is calling: a valid signed assertion in <see cref="PlatformIdentity.HeaderName"/>.
/// Plain identity headers (X-Forwarded-User and the like) are never read.
/// </summary>
public sealed class PlatformIdentityAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IdentityAssertionVerifier verifier)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "PlatformIdentity";
    public const string GroupClaim = "platform:group";
    public const string AdminRole = "admin";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(PlatformIdentity.HeaderName, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return AuthenticateResult.NoResult();
        }

        if (values.Count > 1)
        {
            return AuthenticateResult.Fail("more than one identity assertion");
        }

        var result = await verifier.VerifyAsync(values[0]!, Context.RequestAborted);
        if (result.Identity is not { } identity)
        {
            // The reason, never the assertion itself: it is a bearer credential for its short life.
            Logger.LogWarning("Refused identity assertion: {Reason}", result.Error);
            return AuthenticateResult.Fail(result.Error ?? "invalid assertion");
        }

        Context.Features.Set(identity);
        return AuthenticateResult.Success(new AuthenticationTicket(ToPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.ContentType = "application/json";
        return Response.WriteAsync("{\"error\":\"Authentication required\"}");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Response.ContentType = "application/json";
        return Response.WriteAsync("{\"error\":\"Forbidden\"}");
    }

    public static ClaimsPrincipal ToPrincipal(PlatformIdentity identity)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, identity.User), new(ClaimTypes.NameIdentifier, identity.User) };
        claims.AddRange(identity.Groups.Select(g => new Claim(GroupClaim, g)));
        if (identity.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role));
    }
}

public static class PlatformIdentityHttpContextExtensions
{
    /// <summary>The verified caller, or null when the request carried no valid assertion.</summary>
    public static PlatformIdentity? GetPlatformIdentity(this HttpContext context) => context.Features.Get<PlatformIdentity>();
}
