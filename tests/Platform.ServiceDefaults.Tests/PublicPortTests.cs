using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests;

/// <summary>ServiceDefaults under real Kestrel on 127.0.0.1: what Kestrel itself refuses, framing, health on the public port.</summary>
public sealed class PublicPortTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private int port;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "Platform.TestService" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults(verifyPlatformIdentity: false);
        app = builder.Build();
        app.MapDefaultEndpoints(publicPort: true);
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy);
            return Results.Ok(copy.Length);
        });
        app.MapGet("/hello", () => Results.Ok("hello"));
        await app.StartAsync();
        port = new Uri(app.Urls.First()).Port;
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400)]
    public async Task Requests_kestrel_cannot_parse_get_a_json_error(string raw, int status)
    {
        var response = await RawHttp.SendAsync(port, raw);

        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/json", response.Headers["Content-Type"], StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_request_line_too_long_is_a_414_with_a_json_error()
    {
        var response = await RawHttp.SendAsync(port, $"GET /{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, response.Status);
        Assert.Equal("Request line too long", JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Headers_too_large_are_a_431_with_a_json_error()
    {
        var response = await RawHttp.SendAsync(port, $"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\n\r\n");

        Assert.Equal(431, response.Status);
        Assert.Equal("Request headers too large", JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Ordinary_requests_on_one_connection_pass_unchanged()
    {
        var responses = await RawHttp.SendPipelinedAsync(port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal([200, 200], responses.Select(r => r.Status));
        Assert.All(responses, r => Assert.Equal("\"hello\"", r.BodyText));
    }

    [Fact]
    public async Task Chunked_together_with_content_length_is_a_400_at_once()
    {
        var started = DateTime.UtcNow;
        var response = await RawHttp.SendAsync(port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 11\r\n\r\n{\"count\":1}");

        Assert.Equal(400, response.Status);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString()));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_is_a_413_before_it_is_sent()
    {
        var started = DateTime.UtcNow;
        var response = await RawHttp.SendAsync(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 41943040\r\n\r\n");

        Assert.Equal(413, response.Status);
        Assert.Contains("limit", JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Public_health_says_pass_or_fail_only()
    {
        using var client = new HttpClient();

        var body = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health"));

        Assert.Equal("""{"status":"pass"}""", body);
    }

    [Fact]
    public void Masstransit_usage_telemetry_is_off()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development", ApplicationName = "Platform.TestService" });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:messaging", "amqp://guest:guest@127.0.0.1:1/")]);
        builder.AddPlatformMessaging();
        using var services = builder.Services.BuildServiceProvider();

        Assert.False(services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}
