using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Platform.Auth.Abstractions;
using Platform.Auth.Infrastructure;

namespace Platform.Auth.Authenticators;

public sealed class JupyterHubAuthenticatorOptions
{
    /// <summary>The Hub's base URL (the part before <c>/hub/api</c>), e.g. <c>http://jupyterhub:8000</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>A scope the user's token must carry, e.g. <c>access:services!service=dask-gateway</c>; none means any valid token.</summary>
    public string? RequiredScope { get; set; }

    /// <summary>How long the Hub's answer for one token is reused, so the Hub is not asked on every request.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// <c>Authorization: jupyterhub &lt;token&gt;</c> (what dask-gateway's JupyterHubAuth sends), checked with the Hub's
/// <c>GET /hub/api/user</c>. Name, groups and admin come from the Hub. Hub refusals are 401s; an unreachable or
/// failing Hub is reported as unavailable (502), never as a refusal, so users are not told their token is bad.
/// </summary>
public sealed class JupyterHubAuthenticator : IAuthenticator, IDisposable
{
    public const string HttpClientName = "jupyterhub";

    private readonly IHttpClientFactory httpClients;
    private readonly JupyterHubAuthenticatorOptions options;
    private readonly ILogger<JupyterHubAuthenticator> logger;
    private readonly MemoryCache answers = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public JupyterHubAuthenticator(IHttpClientFactory httpClients, JupyterHubAuthenticatorOptions options, ILogger<JupyterHubAuthenticator> logger)
    {
        if (options.Url is null)
        {
            throw new InvalidOperationException("Auth:JupyterHub:Url is required when Auth:Type includes jupyterhub.");
        }

        this.httpClients = httpClients;
        this.options = options;
        this.logger = logger;
    }

    public string Name => "jupyterhub";

    public IReadOnlyList<string> Challenges => ["jupyterhub"];

    public async ValueTask<AuthenticationOutcome> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        if (!request.TryGetAuthorization("jupyterhub", out var token))
        {
            return AuthenticationOutcome.NotApplicable;
        }

        // Keyed by the token's hash: the cache must never hold a usable credential.
        var cacheKey = Convert.ToHexString(SecretHash.Of(token));
        if (answers.TryGetValue(cacheKey, out AuthenticationOutcome? cached) && cached is not null)
        {
            return cached;
        }

        var outcome = await AskHubAsync(token, cancellationToken);
        if (outcome.Status != AuthenticationStatus.Unavailable)
        {
            answers.Set(cacheKey, outcome, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.CacheDuration });
        }

        return outcome;
    }

    public void Dispose() => answers.Dispose();

    private async Task<AuthenticationOutcome> AskHubAsync(string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Url!, "hub/api/user"));
        request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        HttpResponseMessage response;
        try
        {
            // The client's timeout (Auth:JupyterHub:Timeout) is set where the named client is registered.
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("JupyterHub at {HubUrl} did not answer: {Error}", options.Url, e is TaskCanceledException ? "timed out" : e.Message);
            return AuthenticationOutcome.Unavailable("JupyterHub is unavailable");
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Unauthorized)
            {
                return AuthenticationOutcome.Refused("token refused by JupyterHub");
            }

            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("JupyterHub at {HubUrl} answered {Status} to a token check", options.Url, (int)response.StatusCode);
                return AuthenticationOutcome.Unavailable("JupyterHub is unavailable");
            }

            HubUser? user;
            try
            {
                user = await response.Content.ReadFromJsonAsync(HubJsonContext.Default.HubUser, cancellationToken);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or HttpRequestException)
            {
                logger.LogWarning("JupyterHub at {HubUrl} sent an unreadable user model: {Error}", options.Url, e.Message);
                return AuthenticationOutcome.Unavailable("JupyterHub sent an unreadable answer");
            }

            // A service or a user's server token identifies something other than a user.
            if (user is null || string.IsNullOrWhiteSpace(user.Name) || (user.Kind is not null && user.Kind != "user"))
            {
                return AuthenticationOutcome.Refused("token does not belong to a JupyterHub user");
            }

            if (!HasRequiredScope(user.Scopes))
            {
                return AuthenticationOutcome.Refused($"token lacks the scope {options.RequiredScope}", user.Name);
            }

            return AuthenticationOutcome.Success(new AuthenticatedUser(user.Name, user.Groups ?? [], user.Admin ?? false));
        }
    }

    private bool HasRequiredScope(IReadOnlyList<string>? scopes)
    {
        if (string.IsNullOrWhiteSpace(options.RequiredScope))
        {
            return true;
        }

        // "access:services" without a filter grants every filtered form of itself (admins hold it).
        var unfiltered = options.RequiredScope.Split('!', 2)[0];
        return scopes is not null && scopes.Any(s => s == options.RequiredScope || s == unfiltered);
    }
}

internal sealed record HubUser(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("kind")] string? Kind,
    [property: JsonPropertyName("admin")] bool? Admin,
    [property: JsonPropertyName("groups")] IReadOnlyList<string>? Groups,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string>? Scopes);

[JsonSerializable(typeof(HubUser))]
internal sealed partial class HubJsonContext : JsonSerializerContext;
