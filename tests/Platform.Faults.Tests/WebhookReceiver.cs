using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Platform.Hosting.Infrastructure;

namespace Platform.Faults.Tests;

/// <summary>
/// A webhook endpoint on 127.0.0.1: records each delivery's event type and cluster, once per <c>webhook-id</c>
/// (the Webhooks service may deliver a message twice after a crash; the id is what a receiver deduplicates on).
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentDictionary<string, (string Type, string Cluster)> received = new(StringComparer.Ordinal);
    private readonly Task loop;
    private int deliveries;

    public WebhookReceiver()
    {
        Port = FreePort.Pick();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hooks");

    /// <summary>Deliveries including duplicates.</summary>
    public int Deliveries => deliveries;

    public int Distinct => received.Count;

    public bool Has(string type, string cluster) => received.Values.Contains((type, cluster));

    public IReadOnlyList<(string Type, string Cluster)> Events => [.. received.Values];

    private async Task ReceiveAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
                var type = body.RootElement.GetProperty("type").GetString() ?? "";
                var cluster = body.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "";
                Interlocked.Increment(ref deliveries);
                received.TryAdd(context.Request.Headers["webhook-id"] ?? Guid.NewGuid().ToString(), (type, cluster));
                context.Response.StatusCode = 204;
            }
            catch (JsonException)
            {
                context.Response.StatusCode = 400;
            }

            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
