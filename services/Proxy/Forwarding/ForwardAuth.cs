using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Platform.Contracts.Authentication;
using Platform.ServiceDefaults.Configuration;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Identity;

namespace Platform.Proxy.Forwarding;

/// <summary>Who Auth says the caller is, and the assertion that proves it to the backends.</summary>
public sealed record Caller(string User, IReadOnlyList<string> Groups, bool IsAdmin, string Assertion, DateTimeOffset ValidUntil);

/// <summary>Auth's answer: a caller, or a refusal to hand back to the client unchanged.</summary>
public sealed class ForwardAuthAnswer
{
    public Caller? Caller { get; init; }
    public IReadOnlyList<string> SetCookies { get; init; } = [];
    public int RefusalStatus { get; init; }
    public IReadOnlyList<KeyValuePair<string, string[]>> RefusalHeaders { get; init; } = [];
    public byte[] RefusalBody { get; init; } = [];
    public string? RefusalContentType { get; init; }

    public async Task WriteRefusalAsync(HttpContext context)
    {
        context.Response.StatusCode = RefusalStatus;
        foreach (var (name, values) in RefusalHeaders)
        {
            context.Response.Headers.Append(name, values);
        }

        context.Response.Headers.CacheControl = "no-store";
        if (RefusalBody.Length == 0)
        {
            await JsonErrors.WriteAsync(context, RefusalStatus, "Authentication failed");
            return;
        }

        context.Response.ContentType = RefusalContentType ?? "application/json";
        context.Response.ContentLength = RefusalBody.Length;
        await context.Response.Body.WriteAsync(RefusalBody, context.RequestAborted);
    }
}

public sealed class ForwardAuthOptions
{
    /// <summary>Upper bound on how long an answer is reused; always shorter than the assertion's own lifetime.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    public int MaximumCachedCallers { get; set; } = 10_000;
}

/// <summary>
/// Asks Auth "who is this?" for each forwarded request (the contract in services/Auth/README.md). Identified answers
/// are cached briefly under a SHA-256 of the credentials, so the raw credential is never kept as a key.
/// </summary>
public sealed class ForwardAuth(HttpClient http, IOptions<ForwardAuthOptions> options, IOptions<ProxyTokenOptions> proxyToken, TimeProvider time, ILogger<ForwardAuth> logger)
{
    public const string SessionCookie = "platform-session";

    /// <summary>Headers of Auth's refusal the client needs: the challenge (the dask-gateway client answers it) and back-off.</summary>
    private static readonly string[] RefusalHeaderNames = [HeaderNames.WWWAuthenticate, HeaderNames.RetryAfter];

    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Caller> cache = new(StringComparer.Ordinal);

    /// <summary>
    /// Lookups under way, by credentials and client address: concurrent requests of one client (a dashboard opens
    /// dozens at once) share one question to Auth. The address is part of the key so that Auth still counts each
    /// client's failed attempts for its rate limits.
    /// </summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<ForwardAuthAnswer>>> inFlight = new(StringComparer.Ordinal);

    public Task<ForwardAuthAnswer> IdentifyAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var session = context.Request.Cookies[SessionCookie];
        var hasCredentials = authorization.Length > 0 || !string.IsNullOrEmpty(session);
        if (!hasCredentials)
        {
            return AskAuthAsync(context, key: null, context.RequestAborted);
        }

        var key = CacheKey(authorization, session);
        if (cache.TryGetValue(key, out var cached))
        {
            if (cached.ValidUntil > time.GetUtcNow())
            {
                return Task.FromResult(new ForwardAuthAnswer { Caller = cached });
            }

            cache.TryRemove(key, out _);
        }

        // Lazy: of two requests arriving together, exactly one starts the lookup. It must not end with the request
        // that happened to start it, so it runs without that request's cancellation.
        var flightKey = $"{key}|{context.Connection.RemoteIpAddress}";
        var flight = new Lazy<Task<ForwardAuthAnswer>>(() => AskAuthAsync(context, key, CancellationToken.None), LazyThreadSafetyMode.ExecutionAndPublication);
        var shared = inFlight.GetOrAdd(flightKey, flight);
        if (ReferenceEquals(shared, flight))
        {
            _ = flight.Value.ContinueWith(
                _ => inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<ForwardAuthAnswer>>>(flightKey, flight)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return shared.Value.WaitAsync(context.RequestAborted);
    }

    private async Task<ForwardAuthAnswer> AskAuthAsync(HttpContext context, string? key, CancellationToken cancellationToken)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var cookie = context.Request.Headers.Cookie.ToString();
        var now = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://auth/api/auth/identity");
        if (authorization.Length > 0)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.Authorization, authorization);
        }

        if (cookie.Length > 0)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.Cookie, cookie);
        }

        var token = proxyToken.Value.Token;
        if (!string.IsNullOrEmpty(token))
        {
            // Auth believes the forwarded client address only with the proxy token; without it, rate limits would hit the proxy itself.
            var forwardedFor = context.Request.Headers["X-Forwarded-For"].ToString();
            var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor.Length > 0 ? $"{forwardedFor}, {client}" : client);
            ProxyToken.Attach(request.Headers, token);
        }

        if (context.Request.IsHttps)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception e) when (ServiceDiscoveryExtensions.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Auth is unreachable: {Error}", e.Message);
            return Refusal(StatusCodes.Status502BadGateway, "Authentication service unavailable");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var caller = await ReadCallerAsync(response, now, cancellationToken);
                if (caller is null)
                {
                    logger.LogWarning("Auth answered 200 without a usable identity");
                    return Refusal(StatusCodes.Status502BadGateway, "Authentication service gave no identity");
                }

                var setCookies = response.Headers.TryGetValues(HeaderNames.SetCookie, out var cookies) ? cookies.ToArray() : [];
                if (key is not null)
                {
                    Remember(key, caller);
                }

                return new ForwardAuthAnswer { Caller = caller, SetCookies = setCookies };
            }

            var status = (int)response.StatusCode;
            if (status is not (401 or 403 or 429))
            {
                // Auth's own 502 (JupyterHub down) passes through; anything else from Auth is its failure, not the client's.
                status = StatusCodes.Status502BadGateway;
            }

            var headers = new List<KeyValuePair<string, string[]>>();
            foreach (var name in RefusalHeaderNames)
            {
                if (response.Headers.TryGetValues(name, out var values))
                {
                    headers.Add(new(name, [.. values]));
                }
            }

            return new ForwardAuthAnswer
            {
                RefusalStatus = status,
                RefusalHeaders = headers,
                RefusalBody = await response.Content.ReadAsByteArrayAsync(cancellationToken),
                RefusalContentType = response.Content.Headers.ContentType?.ToString(),
            };
        }
    }

    /// <summary>SHA-256 of the credentials: equal credentials share an entry, and a heap dump shows no secret as a key.</summary>
    public static string CacheKey(string authorization, string? session)
    {
        var bytes = Encoding.UTF8.GetBytes($"{authorization}\n{session}");
        try
        {
            return Convert.ToHexString(SHA256.HashData(bytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private void Remember(string key, Caller caller)
    {
        if (cache.Count >= options.Value.MaximumCachedCallers)
        {
            // Rare and cheap to refill: dropping everything bounds memory without bookkeeping per entry.
            cache.Clear();
        }

        cache[key] = caller;
    }

    private async Task<Caller?> ReadCallerAsync(HttpResponseMessage response, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!response.Headers.TryGetValues(ServiceDefaults.Identity.PlatformIdentity.HeaderName, out var assertions) || assertions.FirstOrDefault() is not { Length: > 0 } assertion)
        {
            return null;
        }

        CallerIdentity? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync(ForwardAuthJsonContext.Default.CallerIdentity, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }

        if (body?.User is not { Length: > 0 } user)
        {
            return null;
        }

        var validUntil = now + options.Value.CacheDuration;
        if (IdentityAssertion.UnverifiedExpiry(assertion) is { } expires && expires - ExpiryMargin < validUntil)
        {
            validUntil = expires - ExpiryMargin;
        }

        return new Caller(user, body.Groups ?? [], body.Admin, assertion, validUntil);
    }

    private static ForwardAuthAnswer Refusal(int status, string message) => new()
    {
        RefusalStatus = status,
        RefusalBody = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(message), ErrorJsonContext.Default.ErrorBody),
        RefusalContentType = "application/json",
    };
}

[JsonSerializable(typeof(CallerIdentity))]
internal sealed partial class ForwardAuthJsonContext : JsonSerializerContext;
