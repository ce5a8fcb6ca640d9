using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// HTTP calls to one service's own API as one user, each carrying a fresh identity assertion from
/// <paramref name="identity"/> (none without one), as the Proxy forwards them after Auth has answered.
/// </summary>
public class ServiceApiClient(HttpClient http, TestIdentity? identity, string user, bool admin = false, params string[] groups)
{
    public string User => user;

    /// <summary>A body is sent as is (<see cref="HttpContent"/>), as JSON text (a string), or serialized to JSON.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (identity is not null)
        {
            var (name, value) = identity.Header(user, admin, groups);
            request.Headers.Add(name, value);
        }

        request.Content = body switch
        {
            null => null,
            HttpContent content => content,
            string text => new StringContent(text, System.Text.Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        return await http.SendAsync(request);
    }

    /// <summary>Sends, asserts the status, and returns the JSON answer (default when the body is empty).</summary>
    public async Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
