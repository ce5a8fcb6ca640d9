using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;

/// <summary>When a webhook-id arrived on a path: the monotonic clock (the same in every process) and the wall clock.</summary>
internal sealed record Arrival(string Id, string Path, long At, DateTimeOffset Wall);

/// <summary>
/// The receiver and the bare client, in a process of their own: the Webhooks service this bench hosts turns on
/// OpenTelemetry's HttpClient and ASP.NET Core instrumentation for its whole process, which would trace and measure a
/// receiver and a bare client living beside it too (about 11 us per request here), so the baseline would not be bare.
/// The receiver stands for a user's endpoint and the bare client for the cheapest sender there is: neither is instrumented.
/// Controlled over HTTP under /_bench/ by <see cref="RemoteReceiver"/>.
/// </summary>
internal static class ReceiverProcess
{
    public const string Argument = "--receiver";

    private static readonly ConcurrentQueue<Arrival> Arrivals = new();
    private static int count;
    private static string? sampleBody;

    /// <summary>Serves until standard input closes (the bench ended, however it ended).</summary>
    public static async Task<int> RunAsync()
    {
        var port = FreePort.Pick();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/_bench/count", () => Volatile.Read(ref count));
        app.MapGet("/_bench/sample", () => sampleBody is null ? Results.NotFound() : Results.Text(sampleBody));
        app.MapPost("/_bench/reset", () => Arrivals.Clear());
        app.MapGet("/_bench/wait", async (int count, double timeoutSeconds) =>
            await WaitAsync(() => Volatile.Read(ref ReceiverProcess.count) >= count, timeoutSeconds, 2) ? Results.Ok() : Results.StatusCode(504));
        app.MapPost("/_bench/arrivals", ([FromBody] string[] ids) =>
        {
            var wanted = ids.ToHashSet();
            return Arrivals.Where(a => wanted.Contains(a.Id)).ToList();
        });
        app.MapPost("/_bench/wait-arrivals", async ([FromBody] string[] ids, int perId, double timeoutSeconds) =>
        {
            var wanted = ids.ToHashSet();
            return await WaitAsync(() => Arrivals.Count(a => wanted.Contains(a.Id)) >= wanted.Count * perId, timeoutSeconds, 50) ? Results.Ok() : Results.StatusCode(504);
        });
        app.MapPost("/_bench/bare", async (HttpRequest request, int events, int endpoints, int perEndpoint) =>
        {
            using var reader = new StreamReader(request.Body);
            var payload = await reader.ReadToEndAsync();
            return await BareAsync(port, payload, events, endpoints, perEndpoint);
        });
        app.MapFallback(ReceiveAsync);
        await app.StartAsync();
        Console.WriteLine($"port {port}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>The same number of POSTs of a payload of the same size, same paths, same concurrency; seconds taken.</summary>
    private static async Task<double> BareAsync(int port, string payload, int events, int endpoints, int perEndpoint)
    {
        using var bare = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        var before = Volatile.Read(ref count);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, endpoints * perEndpoint).Select(async worker =>
        {
            var endpoint = worker % endpoints;
            for (var i = worker / endpoints; i < events; i += perEndpoint)
            {
                using var content = new StringContent(payload, Encoding.UTF8, "application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/e{endpoint}") { Content = content };
                request.Headers.TryAddWithoutValidation("webhook-id", $"bare_{endpoint}_{i}");
                using var response = await bare.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
        }));
        if (!await WaitAsync(() => Volatile.Read(ref count) >= before + (events * endpoints), 60, 2))
        {
            throw new TimeoutException("the bare requests did not all arrive");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var id = context.Request.Headers["webhook-id"].ToString();
        Arrivals.Enqueue(new Arrival(id, context.Request.Path.Value ?? "", Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow));
        if (sampleBody is null && id.StartsWith("msg_", StringComparison.Ordinal))
        {
            sampleBody = body;
        }

        Interlocked.Increment(ref count);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task<bool> WaitAsync(Func<bool> done, double timeoutSeconds, int pollMilliseconds)
    {
        var deadline = Stopwatch.StartNew();
        while (!done())
        {
            if (deadline.Elapsed.TotalSeconds > timeoutSeconds)
            {
                return false;
            }

            await Task.Delay(pollMilliseconds);
        }

        return true;
    }
}

/// <summary>This bench's side of <see cref="ReceiverProcess"/>: starts it as a child and asks it what arrived.</summary>
internal sealed class RemoteReceiver(Process process, int port) : IAsyncDisposable
{
    private readonly HttpClient control = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(10) };

    public int ProcessId => process.Id;

    public string Url(string path) => $"http://127.0.0.1:{port}/{path}";

    public static async Task<RemoteReceiver> StartAsync()
    {
        var self = typeof(ReceiverProcess).Assembly.Location;
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(self);
        }

        start.ArgumentList.Add(ReceiverProcess.Argument);
        var process = Process.Start(start)!;
        var line = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the receiver process exited before it listened");
        return new RemoteReceiver(process, int.Parse(line["port ".Length..], CultureInfo.InvariantCulture));
    }

    public async Task<int> CountAsync() => await control.GetFromJsonAsync<int>("_bench/count");

    public async Task<string?> SampleBodyAsync()
    {
        using var response = await control.GetAsync("_bench/sample");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
    }

    public async Task WaitForCountAsync(int expected, TimeSpan timeout)
    {
        using var response = await control.GetAsync(FormattableString.Invariant($"_bench/wait?count={expected}&timeoutSeconds={timeout.TotalSeconds}"));
        if (!response.IsSuccessStatusCode)
        {
            throw new TimeoutException($"{await CountAsync()} of {expected} requests arrived within {timeout}");
        }
    }

    public async Task ResetArrivalsAsync() => (await control.PostAsync("_bench/reset", null)).EnsureSuccessStatusCode();

    public async Task<List<Arrival>> ArrivalsAsync(ICollection<string> ids)
    {
        using var response = await control.PostAsJsonAsync("_bench/arrivals", ids);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<List<Arrival>>())!;
    }

    public async Task WaitForArrivalsAsync(ICollection<string> ids, int perId, TimeSpan timeout)
    {
        using var response = await control.PostAsJsonAsync(FormattableString.Invariant($"_bench/wait-arrivals?perId={perId}&timeoutSeconds={timeout.TotalSeconds}"), ids);
        if (!response.IsSuccessStatusCode)
        {
            throw new TimeoutException("not every latency message arrived");
        }
    }

    /// <summary>The bare client's round, run in the receiver's process: seconds it took, every request answered.</summary>
    public async Task<double> BareAsync(string payload, int events, int endpoints, int perEndpoint)
    {
        using var content = new StringContent(payload, Encoding.UTF8, "text/plain");
        using var response = await control.PostAsync(FormattableString.Invariant($"_bench/bare?events={events}&endpoints={endpoints}&perEndpoint={perEndpoint}"), content);
        return await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<double>();
    }

    public async ValueTask DisposeAsync()
    {
        control.Dispose();
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }
}
