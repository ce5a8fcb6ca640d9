using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Platform.Clusters.Backends;

/// <summary>
/// The small HTTP API that <c>scheduler_preload.py</c> serves inside each scheduler on 127.0.0.1, guarded by a
/// per-cluster bearer token: status (workers, adaptive target, idleness) and graceful retirement of workers.
/// </summary>
public sealed class SchedulerApi(HttpClient http)
{
    public async Task<SchedulerStatus> GetStatusAsync(int port, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}/status"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<SchedulerStatus>(cancellationToken) ?? throw new InvalidOperationException("Empty scheduler status.");
    }

    /// <summary>Asks the scheduler to move the workers' data elsewhere and close them (<c>Scheduler.retire_workers</c>).</summary>
    public async Task<IReadOnlyList<string>> RetireAsync(int port, string token, IReadOnlyList<string> workerNames, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{port}/retire"))
        {
            Content = JsonContent.Create(new RetireRequest(workerNames)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<RetireResponse>(cancellationToken);
        return body?.Retired ?? [];
    }

    private sealed record RetireRequest([property: JsonPropertyName("names")] IReadOnlyList<string> Names);

    private sealed record RetireResponse([property: JsonPropertyName("retired")] IReadOnlyList<string> Retired);
}

public sealed record SchedulerStatus(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("workers")] IReadOnlyList<SchedulerWorker> Workers,
    [property: JsonPropertyName("adaptive_target")] int AdaptiveTarget,
    [property: JsonPropertyName("idle_seconds")] double IdleSeconds,
    [property: JsonPropertyName("tasks")] int Tasks);

public sealed record SchedulerWorker(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("status")] string Status);

/// <summary>What <c>scheduler_preload.py</c> writes once the scheduler listens: the addresses are discovered, never guessed.</summary>
public sealed record SchedulerReadyFile(
    [property: JsonPropertyName("scheduler_address")] string SchedulerAddress,
    [property: JsonPropertyName("dashboard_port")] int? DashboardPort,
    [property: JsonPropertyName("api_port")] int ApiPort,
    [property: JsonPropertyName("pid")] int ProcessId);
