using System.Net;
using System.Text.Json;

namespace Platform.EndToEnd.Tests;

/// <summary>One span as the dashboard's telemetry API returns it (OTLP JSON), with the service that sent it.</summary>
public sealed record TelemetrySpan(string TraceId, string SpanId, string? ParentSpanId, string Service, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes)
{
    public const int ServerKind = 2;
    public const int ProducerKind = 4;
    public const int ConsumerKind = 5;

    public override string ToString() => $"{Service}: {Name}";
}

/// <summary>
/// The Aspire dashboard's own telemetry HTTP API (<c>/api/telemetry/traces</c>), enabled by the AppHost with an API key
/// (<c>AppHost:DashboardApiKey</c>) that the request presents as <c>x-api-key</c>.
/// </summary>
public sealed class DashboardTelemetry(Uri dashboard, string apiKey) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = dashboard };

    public void Dispose() => http.Dispose();

    /// <summary>The spans of every trace the dashboard holds that <paramref name="resource"/> took part in; none while it has sent nothing.</summary>
    public Task<IReadOnlyList<TelemetrySpan>> TracesOfAsync(string resource) => GetSpansAsync($"/api/telemetry/traces?resource={Uri.EscapeDataString(resource)}");

    /// <summary>Every span of one trace, from every service; none while the dashboard has not received it.</summary>
    public Task<IReadOnlyList<TelemetrySpan>> TraceAsync(string traceId) => GetSpansAsync($"/api/telemetry/traces/{traceId}");

    private async Task<IReadOnlyList<TelemetrySpan>> GetSpansAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Add("x-api-key", apiKey);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"The dashboard's {path} answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var spans = new List<TelemetrySpan>();
        if (!document.RootElement.TryGetProperty("data", out var data) || !data.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            return spans;
        }

        foreach (var resourceSpan in resourceSpans.EnumerateArray())
        {
            var service = Attributes(resourceSpan.GetProperty("resource")).GetValueOrDefault("service.name", "?");
            foreach (var scope in resourceSpan.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    spans.Add(new TelemetrySpan(
                        span.GetProperty("traceId").GetString()!,
                        span.GetProperty("spanId").GetString()!,
                        span.TryGetProperty("parentSpanId", out var parent) && parent.GetString() is { Length: > 0 } parentId ? parentId : null,
                        service,
                        span.GetProperty("name").GetString()!,
                        span.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.Number ? kind.GetInt32() : 0,
                        Attributes(span)));
                }
            }
        }

        return spans;
    }

    private static Dictionary<string, string> Attributes(JsonElement owner)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (owner.TryGetProperty("attributes", out var list))
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                attributes[attribute.GetProperty("key").GetString()!] = value.EnumerateObject().FirstOrDefault() is { Value: var v } ? v.ToString() : "";
            }
        }

        return attributes;
    }
}
