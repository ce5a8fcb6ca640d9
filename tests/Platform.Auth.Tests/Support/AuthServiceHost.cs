using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;

namespace Platform.Auth.Tests.Support;

/// <summary>The real Auth service in memory, on a real PostgreSQL database and RabbitMQ broker.</summary>
public sealed class AuthServiceHost(InfrastructureFixture infrastructure, string connectionString, IReadOnlyDictionary<string, string?> settings, CapturedLogs? logs = null)
    : WebApplicationFactory<Program>
{
    public const string ProxyToken = "proxy-token-for-tests-0123456789";

    public string ConnectionString => connectionString;

    /// <summary>A host on a new database of its own.</summary>
    public static async Task<AuthServiceHost> StartAsync(InfrastructureFixture infrastructure, IReadOnlyDictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        var connectionString = await infrastructure.CreateDatabaseAsync("authdb");
        return Start(infrastructure, connectionString, settings, logs);
    }

    /// <summary>A host on an existing database: a restart, or another replica.</summary>
    public static AuthServiceHost Start(InfrastructureFixture infrastructure, string connectionString, IReadOnlyDictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        var host = new AuthServiceHost(infrastructure, connectionString, settings, logs);
        _ = host.Server; // starts it: migrations run and the bus connects before the first test request
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:authdb", connectionString);
        builder.UseSetting("ConnectionStrings:messaging", infrastructure.RabbitMq.ConnectionString);
        builder.UseSetting("Platform:ServiceName", "auth-tests");
        builder.UseSetting("Proxy:Token", ProxyToken);
        builder.UseSetting("Messaging:Outbox:PollInterval", "00:00:00.200");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (logs is not null)
        {
            builder.ConfigureLogging(logging =>
            {
                logging.AddProvider(logs);
                logging.AddFilter<CapturedLogs>(null, LogLevel.Trace);
            });
        }
    }

    /// <summary>A client that does not keep cookies, so each test decides what it sends.</summary>
    public HttpClient Client() => CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

    /// <summary>The forward-auth request the Proxy makes, for a client at <paramref name="clientAddress"/>.</summary>
    public static HttpRequestMessage IdentityRequest(string? authorization = null, string? cookie = null, string clientAddress = "203.0.113.10")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/identity");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }

        request.Headers.Add("X-Proxy-Token", ProxyToken);
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return request;
    }

    public static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>Authenticates with Basic credentials and returns the identity assertion the Proxy would forward.</summary>
    public async Task<string> AssertionForAsync(string user, string password)
    {
        using var response = await Client().SendAsync(IdentityRequest(Basic(user, password), clientAddress: "198.51.100.1"));
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues(PlatformIdentity.HeaderName).Single();
    }

    /// <summary>A call to one of Auth's user-facing endpoints as the Proxy forwards it: with the assertion.</summary>
    public static HttpRequestMessage AsUser(HttpMethod method, string path, string assertion, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(PlatformIdentity.HeaderName, assertion);
        return request;
    }

    /// <summary>How another service checks Auth's assertions: fetching the published keys over HTTP.</summary>
    public IdentityAssertionVerifier RemoteVerifier() =>
        new(new RemoteIdentityKeys(Client(), new Uri(Server.BaseAddress, "/api/identity/keys"), TimeProvider.System, NullLogger<RemoteIdentityKeys>.Instance), TimeProvider.System);

    public static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.SingleOrDefault(v => v.StartsWith("platform-session=", StringComparison.Ordinal)) : null;

    /// <summary>The <c>name=value</c> part of a Set-Cookie header, as a browser would send it back.</summary>
    public static string CookiePair(string setCookie) => setCookie.Split(';')[0];

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}
