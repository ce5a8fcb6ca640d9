using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;

namespace Platform.Webhooks.Tests.Support;

/// <summary>One request the receiver got, with the secrets its signature verified under.</summary>
public sealed record ReceivedWebhook(string Path, string Id, string Timestamp, string Signature, string Body, IReadOnlyList<string> VerifiedBy, DateTimeOffset ReceivedAt);

/// <summary>How the receiver answers on one path.</summary>
public sealed record ReceiverBehaviour(int Status = 200, TimeSpan? Delay = null, string? RetryAfter = null, string? Location = null, string Body = "ok");

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1) that verifies every request's Standard Webhooks signature against the
/// secrets registered for its path, records it, and answers as told. It can be stopped and started on the same port.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, List<string>> secrets = new();
    private readonly ConcurrentDictionary<string, ReceiverBehaviour> behaviours = new();
    private readonly ConcurrentQueue<ReceivedWebhook> received = new();
    private WebApplication? app;
    private int arrivals;

    private WebhookReceiver(int port)
    {
        Port = port;
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public IReadOnlyList<ReceivedWebhook> Received => [.. received];

    /// <summary>Requests that arrived, answered or not (a delayed answer is recorded only once it is given).</summary>
    public int Arrivals => Volatile.Read(ref arrivals);

    public IReadOnlyList<ReceivedWebhook> On(string path) => [.. received.Where(r => r.Path == "/" + path.TrimStart('/'))];

    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        var receiver = new WebhookReceiver(port ?? FreePort.Pick());
        await receiver.StartAsync();
        return receiver;
    }

    /// <summary>A receiver object whose port is reserved for later; nothing listens until <see cref="StartAsync()"/>.</summary>
    public static WebhookReceiver NotListening() => new(FreePort.Pick());

    public void Trust(string path, string secret) => secrets.AddOrUpdate("/" + path.TrimStart('/'), _ => [secret], (_, list) =>
    {
        lock (list)
        {
            list.Add(secret);
        }

        return list;
    });

    public void Answer(string path, ReceiverBehaviour behaviour) => behaviours["/" + path.TrimStart('/')] = behaviour;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
    }

    public async Task StopAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref arrivals);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var path = context.Request.Path.Value ?? "/";
        var id = context.Request.Headers["webhook-id"].ToString();
        var timestamp = context.Request.Headers["webhook-timestamp"].ToString();
        var signature = context.Request.Headers["webhook-signature"].ToString();
        List<string> candidates;
        if (secrets.TryGetValue(path, out var list))
        {
            lock (list)
            {
                candidates = [.. list];
            }
        }
        else
        {
            candidates = [];
        }

        var verifiedBy = StandardWebhooksVerifier.VerifyingSecrets(id, timestamp, signature, body, candidates, DateTimeOffset.UtcNow);
        var behaviour = behaviours.GetValueOrDefault(path) ?? new ReceiverBehaviour();
        if (behaviour.Delay is { } delay)
        {
            await Task.Delay(delay);
        }

        received.Enqueue(new ReceivedWebhook(path, id, timestamp, signature, Encoding.UTF8.GetString(body), verifiedBy, DateTimeOffset.UtcNow));
        context.Response.StatusCode = behaviour.Status;
        if (behaviour.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        if (behaviour.Location is { } location)
        {
            context.Response.Headers.Location = location;
        }

        try
        {
            await context.Response.WriteAsync(behaviour.Body);
        }
        catch (IOException)
        {
            // The sender went away while we waited (the SIGKILL test); it was recorded all the same.
        }
    }
}
