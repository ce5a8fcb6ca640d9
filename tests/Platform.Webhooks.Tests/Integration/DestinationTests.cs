using System.Net;
using Microsoft.Extensions.Options;
using Platform.Webhooks.Delivery;
using Platform.Webhooks.Model;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>SSRF: internal destinations are refused when an endpoint is created or changed, and again when connecting.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class DestinationTests(WebhooksServiceFixture service)
{
    [Theory]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("https://10.0.0.1/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("https://[::1]/hook", "loopback")]
    [InlineData("https://localhost/hook", "resolves to")]
    [InlineData("http://localhost/hook", "https")]
    [InlineData("https://user:password@example.com/hook", "credentials")]
    [InlineData("file:///etc/passwd", "scheme")]
    [InlineData("https://nonexistent.invalid/hook", "does not resolve")]
    public async Task Internal_or_unsafe_destinations_are_refused_at_creation(string url, string reason)
    {
        using var response = await service.As("sid-ssrf").SendAsync(HttpMethod.Post, "/api/webhooks/endpoints", new { url });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(reason, body, StringComparison.Ordinal);
        Assert.DoesNotContain("password", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_url_to_an_internal_destination_is_refused()
    {
        var user = service.As("sid-ssrf-patch");
        var (endpoint, _) = await user.CreateEndpointAsync("http://127.0.0.1:9/ok");
        using var response = await user.SendAsync(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpoint}", new { url = "https://192.168.0.10/hook" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("http://127.0.0.1:9/ok", (await user.EndpointAsync(endpoint)).GetProperty("url").GetString());
    }

    [Fact]
    public async Task The_connect_time_check_refuses_a_name_that_now_resolves_to_loopback()
    {
        // What DNS rebinding achieves: a name accepted earlier now resolves to an internal address. The sender resolves
        // again and checks before connecting, so the receiver never sees the request.
        await using var receiver = await WebhookReceiver.StartAsync();
        var guard = new DestinationGuard(DestinationPolicy.FromSetting(""));
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = guard.ConnectAsync, UseProxy = false });
        var sender = new WebhookSender(http, Options.Create(new WebhookSettings()), TimeProvider.System);

        var result = await sender.SendAsync($"http://localhost:{receiver.Port}/rebound", "msg_1", "{}"u8.ToArray(), [WebhookSecret.KeyBytes(WebhookSecret.Generate())], CancellationToken.None);

        Assert.Null(result.Outcome.StatusCode);
        Assert.Contains("Destination refused", result.Outcome.Error, StringComparison.Ordinal);
        Assert.Equal(0, receiver.Arrivals);
    }
}
