using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Identity;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

/// <summary>Malformed requests a client can send to any service: each is a 4xx with a JSON error, never a 500.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TestIdentity identity = new();
    private readonly LevelLogs logs = new();
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        // Production, as the services run under the AppHost and in the cluster: ASP.NET's own defaults differ by
        // environment (a body it cannot bind was an empty 400 in Production only).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = "Platform.TestService" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(identity.Configuration);
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.AddServiceDefaults();
        app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPost("/count", (Counted body) => Results.Ok(body.Count));
        app.MapPost("/options", (System.Text.Json.Nodes.JsonObject body) => Results.Ok(body.Count));
        app.MapGet("/mine", (HttpContext context) => Results.Ok(context.GetPlatformIdentity()!.User)).RequireAuthorization();
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        identity.Dispose();
    }

    [Theory]
    [InlineData("/count", """{"count":0,"count":"x"}""")]
    [InlineData("/options", """{"worker_cores":1,"worker_cores":"x"}""")]
    [InlineData("/options", """{"a":{"b":1,"b":2}}""")]
    [InlineData("/options", """{"description":"\ud800"}""")]
    public async Task A_duplicated_json_key_is_a_400(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        var (status, error) = await ErrorOf(await Client().PostAsync(path, content));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("JSON", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json; charset=bogus", "'bogus'")]
    [InlineData("application/json; charset=", "''")]
    [InlineData("application/json; charset=\"\"", "''")]
    public async Task A_body_in_an_unknown_or_empty_charset_is_a_415(string contentType, string named)
    {
        using var content = new ByteArrayContent("""{"count":1}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var (status, error) = await ErrorOf(await Client().PostAsync("/count", content));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_in_a_known_charset_is_read()
    {
        using var content = new ByteArrayContent("""{"count":3}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=\"utf-8\"");

        using var response = await Client().PostAsync("/count", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_client_json_is_logged_at_debug_not_as_an_error()
    {
        using var content = new StringContent("{\"count\": ", Encoding.UTF8, "application/json");
        logs.Clear();

        using var response = await Client().PostAsync("/count", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("/count", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"alg":"ES256","typ":"platform-identity+jwt"}""")]
    [InlineData("""{"alg":"ES256","typ":"platform-identity+jwt","kid":null}""")]
    [InlineData("""{"alg":"ES256","typ":"platform-identity+jwt","kid":""}""")]
    public async Task An_assertion_naming_no_key_is_refused_and_health_still_answers(string header)
    {
        var assertion = $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header))}.{Base64Url.EncodeToString("""{"sub":"alice"}"""u8)}.AAAA";

        using var mine = new HttpRequestMessage(HttpMethod.Get, "/mine");
        mine.Headers.Add(PlatformIdentity.HeaderName, assertion);
        using var health = new HttpRequestMessage(HttpMethod.Get, "/health");
        health.Headers.Add(PlatformIdentity.HeaderName, assertion);

        var (status, _) = await ErrorOf(await Client().SendAsync(mine));
        using var healthy = await Client().SendAsync(health);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
    }

    [Fact]
    public async Task A_service_port_health_names_its_checks()
    {
        using var body = JsonDocument.Parse(await Client().GetStringAsync("/health"));

        Assert.True(body.RootElement.GetProperty("checks").TryGetProperty("self", out _));
    }

    private HttpClient Client() => app.GetTestClient();

    internal static async Task<(HttpStatusCode Status, string Error)> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("error").GetString()!);
    }

    public sealed record Counted(int Count);
}

/// <summary>Log entries with their level.</summary>
internal sealed class LevelLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> entries = new();

    public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => entries;

    public void Clear() => entries.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LevelLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.entries.Enqueue((logLevel, $"{category}: {formatter(state, exception)}"));
    }
}
