using System.Net;
using System.Text.Json;
using Platform.Testing;

namespace Platform.Webhooks.Tests.Support;

/// <summary>HTTP calls to the Webhooks API as one user, each carrying a fresh identity assertion.</summary>
public sealed class WebhooksClient(HttpClient http, TestIdentity? identity, string user, bool admin = false)
    : ServiceApiClient(http, identity, user, admin)
{
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
