using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Testing;

namespace Platform.Webhooks.Tests.Support;

/// <summary>HTTP calls to the Webhooks API as one user, each carrying a fresh identity assertion.</summary>
public sealed class WebhooksClient(HttpClient http, TestIdentity? identity, string user, bool admin = false)
{
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (identity is not null)
        {
            var (name, value) = identity.Header(user, admin);
            request.Headers.Add(name, value);
        }

        if (body is not null)
        {
            request.Content = body is string text ? new StringContent(text, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        }

        return await http.SendAsync(request);
    }

    public async Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Creates an endpoint and returns its id and signing secret.</summary>
    public async Task<(string Id, string Secret)> CreateEndpointAsync(string url, string[]? events = null)
    {
        var created = await JsonAsync(HttpMethod.Post, "/api/webhooks/endpoints", new { url, events, description = "test" }, HttpStatusCode.Created);
        return (created.GetProperty("id").GetString()!, created.GetProperty("secret").GetString()!);
    }

    public Task<JsonElement> EndpointAsync(string id) => JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{id}");

    public async Task<IReadOnlyList<JsonElement>> MessagesAsync(string endpointId, string? status = null)
    {
        var page = await JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpointId}/messages?limit=250{(status is null ? "" : "&status=" + status)}");
        return [.. page.GetProperty("data").EnumerateArray()];
    }

    public async Task<IReadOnlyList<JsonElement>> AttemptsAsync(string endpointId, string messageId) =>
        [.. (await JsonAsync(HttpMethod.Get, $"/api/webhooks/endpoints/{endpointId}/messages/{messageId}/attempts")).EnumerateArray()];
}
