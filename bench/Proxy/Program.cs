extern alias proxy;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Infrastructure;
using Platform.Testing;
using Platform.Testing.Servers;
using ClusterRoute = proxy::Platform.Proxy.Routing.ClusterRoute;
using RouteTable = proxy::Platform.Proxy.Routing.RouteTable;

// Proxy benchmark, all on 127.0.0.1: SNI bulk throughput and TLS connect+echo latency through the proxy vs direct
// to a TLS server, and HTTP requests/s at 32 connections through the dashboard route vs direct.
// Optional second argument: which measurements to run ("sni", "tls", "http"; comma-separated), all by default.
// Optional third argument: "process" (default) runs the Proxy as its own process, as it is deployed (built in this
// configuration, with its own runtime settings); "inproc" hosts it inside this benchmark process instead.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var only = args.Length > 1 ? args[1].Split(',') : ["sni", "tls", "http"];
var separateProcess = args.Length <= 2 || args[2] != "inproc";
var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Platform.sln")))
{
    repository = repository.Parent;
}

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_PROXY", Path.Combine(repository?.FullName ?? ".", "services", "Proxy"));
var infrastructure = new InfrastructureFixture();
await infrastructure.InitializeAsync();

using var certificate = CreateCertificate();
await using var scheduler = new TlsServer(certificate);
await using var auth = await Backend.StartAsync(app => app.MapGet("/api/auth/identity", (HttpContext context) =>
{
    context.Response.Headers["X-Platform-Identity"] = "bench-assertion";
    return Results.Json(new { user = "bench", groups = Array.Empty<string>(), admin = false });
}));
await using var dashboard = await Backend.StartAsync(app => app.MapGet("/{**rest}", () => Results.Text("dashboard page")));

var benchRoute = new { name = "bench", owner = "bench", schedulerAddress = $"tls://127.0.0.1:{scheduler.Port}", dashboardAddress = dashboard.Address.ToString() };
await using var clusters = await Backend.StartAsync(app => app.MapGet("/internal/routes", () => Results.Json(new { routes = new[] { benchRoute } })));
const string proxyToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
var port = FreePort.Pick();
var proxySettings = new Dictionary<string, string?>
{
    ["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString,
    ["Platform:ServiceName"] = "proxy-bench",
    ["services:auth:http:0"] = auth.Address.ToString(),
    ["services:clusters:http:0"] = clusters.Address.ToString(),
    ["Proxy:Token"] = proxyToken,
    ["Logging:LogLevel:Default"] = "Warning",
};

await using var service = separateProcess
    ? await ProxyProcess.StartAsync(Path.Combine(repository!.FullName, "services", "Proxy", "bin", new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "Platform.Proxy.dll"), port, proxySettings, proxyToken)
    : (IAsyncDisposable)InProcessProxy.Start(port, proxySettings, ClusterRoute.TryCreate("bench", "bench", benchRoute.schedulerAddress, benchRoute.dashboardAddress)!);

// Reference proxies measured in the same run, when installed: what the standard C proxies achieve on this machine, for
// the same three paths. nginx (SNI via ssl_preread, HTTP with pooled upstream connections) copies through user space;
// HAProxy splices (splice(2): the kernel moves the bytes between the sockets without copying them to user space).
var references = new List<ReferenceProxy>();
// PROXY_BENCH_REFERENCES=0 skips them (quicker runs while trying the Proxy's own settings).
if (Environment.GetEnvironmentVariable("PROXY_BENCH_REFERENCES") != "0")
{
    if (await NginxReference.TryStartAsync(scheduler.Port, dashboard.Address) is { } nginx)
    {
        references.Add(nginx);
    }

    if (await HaproxyReference.TryStartAsync(scheduler.Port, dashboard.Address) is { } haproxy)
    {
        references.Add(haproxy);
    }
}

await using var referencesStopped = new ReferenceCleanup(references);
Console.WriteLine($"Proxy benchmark ({seconds:0.#} s per measurement, {Environment.ProcessorCount} cores, all on 127.0.0.1, proxy {(separateProcess ? "in its own process" : "in this process")}; references: {(references.Count == 0 ? "none (install nginx-light, libnginx-mod-stream or haproxy)" : string.Join(", ", references.Select(r => r.Name + " " + r.Version)))})");
var proxyCpu = service is ProxyProcess process ? process.CpuTime : (Func<TimeSpan>?)null;

// 1. Bulk throughput: the server streams data, the client reads it. Direct and proxied runs alternate and the median
// of the ratios is reported: other load on a shared machine varies from second to second. With the Proxy in its own
// process, its CPU time per MB is reported too: unlike MB/s, it does not depend on how much of the machine others take.
if (only.Contains("sni"))
{
    var runs = new List<(Sample Direct, Sample Proxied, Sample[] References)>();
    for (var run = 0; run < 5; run++)
    {
        var direct = await ThroughputAsync(scheduler.Port, "daskgateway-bench", seconds, null);
        var proxied = await ThroughputAsync(port, "daskgateway-bench", seconds, proxyCpu);
        var measured = new Sample[references.Count];
        for (var r = 0; r < references.Count; r++)
        {
            measured[r] = await ThroughputAsync(references[r].SniPort, "daskgateway-bench", seconds, references[r].CpuTime);
        }

        runs.Add((direct, proxied, measured));
    }

    Report("SNI bulk throughput", "MB/s", "MB", "TLS client and server", ">= 90%", runs, references, proxyCpu is not null);
}

// 2. Connect + TLS handshake + one 64-byte echo, sequentially, direct and proxied connections alternating.
if (only.Contains("tls"))
{
    int[] ports = [scheduler.Port, port, .. references.Select(r => r.SniPort)];
    await LatencyAsync(ports, 300);
    var latencies = await LatencyAsync(ports, 1000);
    Console.WriteLine($"TLS connect+echo p50: direct {latencies[0]:0.000} ms, proxy {latencies[1]:0.000} ms, added {latencies[1] - latencies[0]:0.000} ms (target <= 0.3 ms)");
    for (var r = 0; r < references.Count; r++)
    {
        Console.WriteLine($"  {references[r].Name} reference: {latencies[r + 2]:0.000} ms, added {latencies[r + 2] - latencies[0]:0.000} ms");
    }
}

// 3. HTTP requests/s at 32 concurrent connections (forward-auth answers are cached, as for a real browser session).
if (only.Contains("http"))
{
    var directUrl = new Uri(dashboard.Address, "status");
    var proxiedUrl = new Uri($"http://127.0.0.1:{port}/clusters/bench/status");
    var referenceUrls = references.Select(r => new Uri($"http://127.0.0.1:{r.HttpPort}/clusters/bench/status")).ToArray();
    const string authorization = "Basic YmVuY2g6YmVuY2g=";

    // The proxied path has far more code to tier up than the direct one: measured after a one-second warm-up, the
    // proxy ran with the JIT still busy (over a tenth of the CPU). Both paths are warmed until tiering settles (in
    // this process; the Proxy's own process gets the same traffic), then measured alternately so load from other
    // processes on this shared machine hits both alike.
    var warmUp = Stopwatch.StartNew();
    long compiled;
    do
    {
        compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        await RequestsPerSecondAsync(directUrl, null, 1);
        await RequestsPerSecondAsync(proxiedUrl, authorization, 2);
        foreach (var url in referenceUrls)
        {
            await RequestsPerSecondAsync(url, authorization, 1);
        }
    }
    while ((System.Runtime.JitInfo.GetCompiledMethodCount() - compiled > 50 || warmUp.Elapsed < TimeSpan.FromSeconds(10)) && warmUp.Elapsed < TimeSpan.FromSeconds(60));

    Console.WriteLine($"HTTP warm-up: {warmUp.Elapsed.TotalSeconds:0} s until the JIT settled");
    var runs = new List<(Sample Direct, Sample Proxied, Sample[] References)>();
    for (var run = 0; run < 3; run++)
    {
        var direct = await RequestsPerSecondAsync(directUrl, null, seconds);
        var proxied = await RequestsPerSecondAsync(proxiedUrl, authorization, seconds, proxyCpu);
        var measured = new Sample[referenceUrls.Length];
        for (var r = 0; r < referenceUrls.Length; r++)
        {
            measured[r] = await RequestsPerSecondAsync(referenceUrls[r], authorization, seconds, references[r].CpuTime);
        }

        runs.Add((direct, proxied, measured));
    }

    Report("HTTP dashboard route, 32 connections", "req/s", "request", "client and dashboard", ">= 70%", runs, references, proxyCpu is not null);
}

return 0;

/// <summary>The median run by ratio for the Proxy and each reference, and the median CPU cost per unit.</summary>
static void Report(string title, string rateUnit, string unit, string own, string target, List<(Sample Direct, Sample Proxied, Sample[] References)> runs, List<ReferenceProxy> references, bool proxyCpuKnown)
{
    double Median(IEnumerable<double> values) => values.Order().ElementAt(runs.Count / 2);
    var median = runs.OrderBy(r => r.Proxied.PerSecond / r.Direct.PerSecond).ElementAt(runs.Count / 2);
    Console.WriteLine($"{title}: direct {median.Direct.PerSecond:0} {rateUnit}, proxy {median.Proxied.PerSecond:0} {rateUnit}, ratio {median.Proxied.PerSecond / median.Direct.PerSecond:P1} (median of {runs.Count} alternating runs; target {target})");
    if (proxyCpuKnown)
    {
        Console.WriteLine($"  proxy CPU per {unit}: {Median(runs.Select(r => r.Proxied.ProxyCpuMicroseconds)):0.0} us (median); the benchmark's own ({own}) per {unit}: direct {Median(runs.Select(r => r.Direct.OwnCpuMicroseconds)):0.0} us, proxied {Median(runs.Select(r => r.Proxied.OwnCpuMicroseconds)):0.0} us");
    }

    for (var r = 0; r < references.Count; r++)
    {
        var (referenceDirect, _, measured) = runs.OrderBy(x => x.References[r].PerSecond / x.Direct.PerSecond).ElementAt(runs.Count / 2);
        Console.WriteLine($"  {references[r].Name} reference: {measured[r].PerSecond:0} {rateUnit}, ratio {measured[r].PerSecond / referenceDirect.PerSecond:P1}, CPU per {unit} {Median(runs.Select(x => x.References[r].ProxyCpuMicroseconds)):0.0} us");
    }
}

static async Task<Sample> ThroughputAsync(int port, string sni, double seconds, Func<TimeSpan>? proxyCpu)
{
    await using var tls = await ConnectAsync(port, sni);
    await tls.WriteAsync(new byte[] { (byte)'S' });
    await tls.FlushAsync();
    var buffer = new byte[256 * 1024];
    long total = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var proxyCpuBefore = proxyCpu?.Invoke() ?? TimeSpan.Zero;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        var read = await tls.ReadAsync(buffer);
        if (read == 0)
        {
            break;
        }

        total += read;
    }

    var megabytes = total / 1e6;
    return new Sample(
        megabytes / clock.Elapsed.TotalSeconds,
        (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / megabytes,
        proxyCpu is null ? double.NaN : ((proxyCpu() - proxyCpuBefore).TotalMicroseconds / megabytes));
}

/// <summary>p50 of connect + TLS handshake + 64-byte echo for each port, the ports taking turns.</summary>
static async Task<double[]> LatencyAsync(int[] ports, int count)
{
    var samples = ports.Select(_ => new List<double>(count)).ToArray();
    var message = new byte[64];
    var echo = new byte[64];
    message[0] = (byte)'E';
    for (var i = 0; i < count; i++)
    {
        for (var p = 0; p < ports.Length; p++)
        {
            samples[p].Add(await EchoAsync(ports[p]));
        }
    }

    return [.. samples.Select(s => s.Order().ElementAt(count / 2))];

    async Task<double> EchoAsync(int port)
    {
        var clock = Stopwatch.StartNew();
        await using (var tls = await ConnectAsync(port, "daskgateway-bench"))
        {
            await tls.WriteAsync(message);
            await tls.ReadExactlyAsync(echo);
        }

        return clock.Elapsed.TotalMilliseconds;
    }
}

static async Task<Sample> RequestsPerSecondAsync(Uri url, string? authorization, double seconds, Func<TimeSpan>? proxyCpu = null)
{
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32, UseProxy = false, UseCookies = false });
    if (authorization is not null)
    {
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
    }

    async Task<long> Worker(TimeSpan duration)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{url} answered {(int)response.StatusCode} ({response.Headers}): {await response.Content.ReadAsStringAsync()}");
            }

            done++;
        }

        return done;
    }

    await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Worker(TimeSpan.FromSeconds(1))));
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var proxyCpuBefore = proxyCpu?.Invoke() ?? TimeSpan.Zero;
    var timer = Stopwatch.StartNew();
    var counts = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Worker(TimeSpan.FromSeconds(seconds))));
    var requests = (double)counts.Sum();
    return new Sample(
        requests / timer.Elapsed.TotalSeconds,
        (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / requests,
        proxyCpu is null ? double.NaN : (proxyCpu() - proxyCpuBefore).TotalMicroseconds / requests);
}

static async Task<SslStream> ConnectAsync(int port, string sni)
{
    var tcp = new TcpClient { NoDelay = true };
    await tcp.ConnectAsync(IPAddress.Loopback, port);
    var tls = new SslStream(tcp.GetStream(), false);
    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = sni, RemoteCertificateValidationCallback = (_, _, _, _) => true });
    return tls;
}

static X509Certificate2 CreateCertificate()
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var request = new CertificateRequest("CN=dask-internal", key, HashAlgorithmName.SHA256);
    using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
}

/// <summary>One run: units (MB or requests) per second, and per unit this process's CPU time and the proxy's (a separate process).</summary>
internal sealed record Sample(double PerSecond, double OwnCpuMicroseconds, double ProxyCpuMicroseconds);

/// <summary>A TLS "scheduler": after 'S' it streams data until the client leaves; after 'E' it echoes 64 bytes.</summary>
internal sealed class TlsServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 certificate;
    private readonly Task accepting;

    public TlsServer(X509Certificate2 certificate)
    {
        this.certificate = certificate;
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            client.NoDelay = true;
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
                var first = new byte[1];
                await tls.ReadExactlyAsync(first);
                if (first[0] == 'S')
                {
                    var data = new byte[256 * 1024];
                    RandomNumberGenerator.Fill(data);
                    while (true)
                    {
                        await tls.WriteAsync(data);
                    }
                }

                var rest = new byte[63];
                await tls.ReadExactlyAsync(rest);
                await tls.WriteAsync(first);
                await tls.WriteAsync(rest);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>A Kestrel backend on a loopback port (Auth stand-in, dashboard).</summary>
internal sealed class Backend(WebApplication app, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    public static async Task<Backend> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new Backend(app, new Uri(app.Urls.First()));
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

/// <summary>The Proxy in process on a real Kestrel port.</summary>
internal sealed class InProcessProxy : WebApplicationFactory<proxy::Program>
{
    private readonly IReadOnlyDictionary<string, string?> settings;

    private InProcessProxy(int port, IReadOnlyDictionary<string, string?> settings)
    {
        this.settings = settings;
        UseKestrel(k => k.Listen(IPAddress.Loopback, port));
    }

    public static InProcessProxy Start(int port, IReadOnlyDictionary<string, string?> settings, ClusterRoute route)
    {
        var host = new InProcessProxy(port, settings);
        host.StartServer();
        host.Services.GetRequiredService<RouteTable>().Add(route, DateTimeOffset.UtcNow);
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>The built Proxy service started as its own process, ready once its route table holds the bench route.</summary>
internal sealed class ProxyProcess(ChildProcess process) : IAsyncDisposable
{
    public TimeSpan CpuTime() => ProcessCpu.Of(process.Id);

    public static async Task<ProxyProcess> StartAsync(string assembly, int port, IReadOnlyDictionary<string, string?> settings, string token)
    {
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            // PROXYENV_X=v sets X=v for the Proxy alone: runtime knobs can be tried on it without touching the baseline.
            if (variable.Key is string name && name.StartsWith("PROXYENV_", StringComparison.Ordinal))
            {
                environment[name["PROXYENV_".Length..]] = variable.Value as string;
            }
        }

        var process = ChildProcess.Start(new ChildProcessStartInfo(ExecutableSearch.OnPath("dotnet") ?? "dotnet", [assembly]) { Environment = environment });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        http.DefaultRequestHeaders.Add("X-Proxy-Token", token);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The Proxy exited: {string.Join(Environment.NewLine, process.Tail.Lines)}");
            }

            try
            {
                var routes = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/proxy/routes"));
                if (routes.Contains("\"bench\"", StringComparison.Ordinal))
                {
                    return new ProxyProcess(process);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        await process.DisposeAsync();
        throw new TimeoutException("The Proxy did not load the bench route within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        await process.StopAsync(TimeSpan.FromSeconds(10));
        await process.DisposeAsync();
    }
}

/// <summary>Another process's CPU time (user + system), from /proc.</summary>
internal static class ProcessCpu
{
    public static TimeSpan Of(params int[] processIds)
    {
        var ticks = 0L;
        foreach (var id in processIds)
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}

/// <summary>A reference proxy run as its own processes, on its own SNI and HTTP ports, stopped by PID.</summary>
internal abstract class ReferenceProxy(ChildProcess master, string directory, int sniPort, int httpPort, string version) : IAsyncDisposable
{
    public abstract string Name { get; }
    public int SniPort { get; } = sniPort;
    public int HttpPort { get; } = httpPort;
    public string Version { get; } = version;

    /// <summary>The started process and its children (nginx's workers).</summary>
    public TimeSpan CpuTime()
    {
        var ids = new List<int> { master.Id };
        foreach (var task in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName))
        {
            if (int.TryParse(task, out var id) && File.Exists($"/proc/{id}/stat"))
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{id}/stat");
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    if (parent == master.Id)
                    {
                        ids.Add(id);
                    }
                }
                catch (IOException)
                {
                }
            }
        }

        return ProcessCpu.Of([.. ids]);
    }

    public async ValueTask DisposeAsync()
    {
        await master.StopAsync(TimeSpan.FromSeconds(5));
        await master.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    protected static async Task<string> VersionAsync(string binary, string argument, string marker)
    {
        var output = new List<string>();
        await using var probe = ChildProcess.Start(new ChildProcessStartInfo(binary, [argument]) { Output = output.Add });
        await probe.Exited;
        var line = output.FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
        return line is null ? "?" : line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Trim().Split(' ')[0];
    }

    /// <summary>Starts the configured process and waits until both ports accept connections; null (and said why) if not.</summary>
    protected static async Task<ChildProcess?> StartAsync(string name, ChildProcessStartInfo start, int sniPort, int httpPort)
    {
        var process = ChildProcess.Start(start);
        var deadline = Stopwatch.StartNew();
        while (!await ListeningSockets.AcceptsConnectionsAsync(httpPort) || !await ListeningSockets.AcceptsConnectionsAsync(sniPort))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                Console.WriteLine($"{name} did not start: {process.Tail}");
                await process.DisposeAsync();
                return null;
            }

            await Task.Delay(100);
        }

        return process;
    }

    protected static string? Find(string name) => ExecutableSearch.OnPath(name) ?? (File.Exists("/usr/sbin/" + name) ? "/usr/sbin/" + name : null);
}

/// <summary>nginx: ssl_preread SNI routing (bytes copied through user space) and an HTTP location with pooled upstream connections.</summary>
internal sealed class NginxReference(ChildProcess master, string directory, int sniPort, int httpPort, string version)
    : ReferenceProxy(master, directory, sniPort, httpPort, version)
{
    private const string StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    public override string Name => "nginx";

    public static async Task<ReferenceProxy?> TryStartAsync(int schedulerPort, Uri dashboard)
    {
        if (Find("nginx") is not { } binary || !File.Exists(StreamModule))
        {
            return null;
        }

        var directory = Directory.CreateTempSubdirectory("proxy-bench-nginx-").FullName;
        var (sniPort, httpPort) = (FreePort.Pick(), FreePort.Pick());
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            load_module {{StreamModule}};
            worker_processes auto;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 1024; }
            stream {
                map $ssl_preread_server_name $scheduler { daskgateway-bench 127.0.0.1:{{schedulerPort}}; default 127.0.0.1:1; }
                server { listen 127.0.0.1:{{sniPort}}; ssl_preread on; proxy_pass $scheduler; }
            }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                upstream dashboard { server 127.0.0.1:{{dashboard.Port}}; keepalive 64; }
                server {
                    listen 127.0.0.1:{{httpPort}};
                    location /clusters/bench/ { proxy_pass http://dashboard/; proxy_http_version 1.1; proxy_set_header Connection ""; }
                }
            }
            """);
        var version = await VersionAsync(binary, "-v", "nginx/");
        var master = await StartAsync("nginx", new ChildProcessStartInfo(binary, ["-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-g", "daemon off;"]), sniPort, httpPort);
        return master is null ? null : new NginxReference(master, directory, sniPort, httpPort, version);
    }
}

/// <summary>HAProxy: SNI routing from the inspected ClientHello with splice(2) both ways, and HTTP with reused upstream connections.</summary>
internal sealed class HaproxyReference(ChildProcess master, string directory, int sniPort, int httpPort, string version)
    : ReferenceProxy(master, directory, sniPort, httpPort, version)
{
    public override string Name => "HAProxy";

    public static async Task<ReferenceProxy?> TryStartAsync(int schedulerPort, Uri dashboard)
    {
        if (Find("haproxy") is not { } binary)
        {
            return null;
        }

        var directory = Directory.CreateTempSubdirectory("proxy-bench-haproxy-").FullName;
        var (sniPort, httpPort) = (FreePort.Pick(), FreePort.Pick());
        var configuration = Path.Combine(directory, "haproxy.cfg");
        File.WriteAllText(configuration, $$"""
            global
                maxconn 4096
                nbthread {{Environment.ProcessorCount}}
            defaults
                timeout connect 5s
                timeout client 1m
                timeout server 1m
            frontend sni
                mode tcp
                bind 127.0.0.1:{{sniPort}}
                option splice-request
                option splice-response
                tcp-request inspect-delay 5s
                tcp-request content accept if { req_ssl_hello_type 1 }
                use_backend scheduler if { req_ssl_sni -i daskgateway-bench }
            backend scheduler
                mode tcp
                option splice-request
                option splice-response
                server scheduler 127.0.0.1:{{schedulerPort}}
            frontend http
                mode http
                bind 127.0.0.1:{{httpPort}}
                http-request replace-path /clusters/bench(/.*) \1
                default_backend dashboard
            backend dashboard
                mode http
                http-reuse always
                server dashboard 127.0.0.1:{{dashboard.Port}}

            """);
        var version = await VersionAsync(binary, "-v", "version ");
        var master = await StartAsync("HAProxy", new ChildProcessStartInfo(binary, ["-f", configuration, "-db"]), sniPort, httpPort);
        return master is null ? null : new HaproxyReference(master, directory, sniPort, httpPort, version);
    }
}

/// <summary>Stops the reference proxies started so far.</summary>
internal sealed class ReferenceCleanup(List<ReferenceProxy> references) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var reference in references)
        {
            await reference.DisposeAsync();
        }
    }
}
