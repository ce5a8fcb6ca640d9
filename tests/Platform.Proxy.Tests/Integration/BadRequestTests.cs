using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

/// <summary>Malformed requests through the public port are answered by the Proxy at once, as JSON, not as a slow 502.</summary>
[Collection(ProxyCollection.Name)]
public sealed class BadRequestTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private StandInBackend auth = null!;
    private StandInBackend clusters = null!;
    private ProxyServiceHost proxy = null!;

    public Task InitializeAsync()
    {
        auth = new StandInBackend(app => app.MapGet("/api/auth/identity", (HttpContext context) =>
        {
            context.Response.Headers["X-Platform-Identity"] = "assertion-for-alice";
            return Results.Json(new { user = "alice", groups = Array.Empty<string>(), admin = false });
        }));
        clusters = new StandInBackend(app => app.Map("/{**rest}", async (HttpContext context) =>
        {
            using var copy = new MemoryStream();
            await context.Request.Body.CopyToAsync(copy);
            return Results.Json(new { length = copy.Length });
        }));
        proxy = ProxyServiceHost.Start(infrastructure, new Dictionary<string, string?>
        {
            ["services:auth:http:0"] = auth.Address.ToString(),
            ["services:clusters:http:0"] = clusters.Address.ToString(),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await auth.DisposeAsync();
        await clusters.DisposeAsync();
    }

    [Fact]
    public async Task A_body_within_the_limit_is_forwarded()
    {
        using var client = proxy.Client();

        var echo = await (await client.PostAsync("/api/v1/clusters/", new ByteArrayContent(new byte[1_000_000]))).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(1_000_000, echo.GetProperty("length").GetInt64());
    }

    [Fact]
    public async Task A_40_mb_body_sent_at_once_is_a_413_at_once()
    {
        var watch = Stopwatch.StartNew();
        var response = await RawHttp.SendAsync(proxy.Port, "POST /api/v1/clusters/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHc=\r\nContent-Type: application/json\r\nContent-Length: 41943040\r\n\r\n", 41_943_040);

        Assert.Equal(413, response.Status);
        Assert.Contains("limit", JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_chunked_body_growing_over_the_limit_is_a_413_not_a_502()
    {
        var response = await RawHttp.SendAsync(proxy.Port, "POST /api/v1/clusters/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHc=\r\nTransfer-Encoding: chunked\r\n\r\n", 41_943_040, chunked: true);

        Assert.Equal(413, response.Status);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Chunked_together_with_content_length_is_a_400_at_once_not_a_502()
    {
        var watch = Stopwatch.StartNew();
        var response = await RawHttp.SendAsync(proxy.Port, "POST /api/v1/clusters/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHc=\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 11\r\n\r\n{\"count\":1}");

        Assert.Equal(400, response.Status);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString()));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_plain_connect_to_a_path_is_a_405_not_a_502()
    {
        var response = await RawHttp.SendAsync(proxy.Port, "CONNECT /api/v1/clusters/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n");

        Assert.Equal(405, response.Status);
        Assert.Contains("CONNECT", JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_line_too_long_is_a_414_with_a_json_error()
    {
        var response = await RawHttp.SendAsync(proxy.Port, $"GET /api/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, response.Status);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(response.BodyText).RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Public_health_names_no_internal_checks()
    {
        using var client = proxy.Client();

        var body = await client.GetStringAsync("/health");

        Assert.Equal("""{"status":"pass"}""", body);
    }
}
