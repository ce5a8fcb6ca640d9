using System.Net;
using System.Net.Sockets;
using System.Text;
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
        var (code, headers, body) = await SendRawAsync(raw);

        Assert.Equal(status, code);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_request_line_too_long_is_a_414_with_a_json_error()
    {
        var (code, _, body) = await SendRawAsync($"GET /{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, code);
        Assert.Equal("Request line too long", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Headers_too_large_are_a_431_with_a_json_error()
    {
        var (code, _, body) = await SendRawAsync($"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\n\r\n");

        Assert.Equal(431, code);
        Assert.Equal("Request headers too large", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Ordinary_requests_on_one_connection_pass_unchanged()
    {
        var (code, _, body) = await SendRawAsync("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, code);
        Assert.Contains("HTTP/1.1 200", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunked_together_with_content_length_is_a_400_at_once()
    {
        var started = DateTime.UtcNow;
        var (code, _, body) = await SendRawAsync("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 11\r\n\r\n{\"count\":1}");

        Assert.Equal(400, code);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_is_a_413_before_it_is_sent()
    {
        var started = DateTime.UtcNow;
        var (code, _, body) = await SendRawAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 41943040\r\n\r\n");

        Assert.Equal(413, code);
        Assert.Contains("limit", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
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

    /// <summary>Sends raw bytes and reads until the server closes or a response with its body is complete.</summary>
    private async Task<(int Status, string Headers, string Body)> SendRawAsync(string raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            var text = Encoding.ASCII.GetString(received.ToArray());
            if (Complete(text))
            {
                break;
            }
        }

        var response = Encoding.ASCII.GetString(received.ToArray());
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no response: '{response}'");
        return (int.Parse(response.AsSpan(9, 3)), response[..split], response[(split + 4)..]);
    }

    // One response whose Content-Length bytes have all arrived, unless more responses are expected (pipelined requests).
    private static bool Complete(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0 || text.Split("HTTP/1.1 ").Length > 2)
        {
            return false;
        }

        var match = System.Text.RegularExpressions.Regex.Match(text[..split], "Content-Length: (\\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return match.Success && text.Length - split - 4 >= int.Parse(match.Groups[1].Value);
    }
}
