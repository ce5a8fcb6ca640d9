extern alias clusters;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using clusters::Platform.Clusters.Backends;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Platform.Testing;

// The local backend runs Dask processes through Linux namespaces and accounts.
[assembly: SupportedOSPlatform("linux")]

// Clusters service benchmark: create → RUNNING through the service against starting the same processes
// directly (a ratio from the same run), and list latency with 10,000 cluster records in the database.
// The service's own folder is its content root (appsettings.json); found by walking up from the build output.
var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Platform.sln")))
{
    repository = repository.Parent;
}

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_CLUSTERS", Path.Combine(repository?.FullName ?? ".", "services", "Clusters"));
var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var infrastructure = new InfrastructureFixture();
await infrastructure.InitializeAsync();
using var identity = new TestIdentity();
using var data = new TestDirectory("clusters-bench");
var connectionString = await infrastructure.CreateDatabaseAsync("clustersdb_bench");
await using var service = new BenchHost(new Dictionary<string, string?>(identity.Configuration)
{
    ["ConnectionStrings:clustersdb"] = connectionString,
    ["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString,
    ["Platform:ServiceName"] = "clusters-bench",
    ["Clusters:DataDirectory"] = Path.Combine(data.Path, "service"),
    ["Clusters:StopClustersOnShutdown"] = "true",
    ["Logging:LogLevel:Default"] = "Warning",
});
var http = service.CreateClient();

async Task<JsonElement> Call(HttpMethod method, string path, object? body = null, string user = "bench", bool admin = false)
{
    using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
    var (name, value) = identity.Header(user, admin);
    request.Headers.Add(name, value);
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    var text = await response.Content.ReadAsStringAsync();
    return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
}

// Through the service: POST, then follow ?wait (server-side blocking) until RUNNING; optionally scale to one worker.
async Task<(double Running, double Worker)> ThroughService()
{
    var clock = Stopwatch.StartNew();
    var name = (await Call(HttpMethod.Post, "/api/v1/clusters/", new { cluster_options = new { } })).GetProperty("name").GetString()!;
    while ((await Call(HttpMethod.Get, $"/api/v1/clusters/{name}?wait")).GetProperty("status").GetString() != "RUNNING")
    {
    }

    var running = clock.Elapsed.TotalMilliseconds;
    await Call(HttpMethod.Post, $"/api/v1/clusters/{name}/scale", new { count = 1 });
    while ((await Call(HttpMethod.Get, $"/api/platform/clusters/{name}")).GetProperty("workers").GetProperty("running").GetInt32() < 1)
    {
        await Task.Delay(20);
    }

    var worker = clock.Elapsed.TotalMilliseconds;
    await Call(HttpMethod.Delete, $"/api/v1/clusters/{name}");
    while ((await Call(HttpMethod.Get, $"/api/v1/clusters/{name}")).GetProperty("status").GetString() != "STOPPED")
    {
        await Task.Delay(50);
    }

    return (running, worker);
}

// Directly: the same certificate, preload, command lines and launcher, with nothing in between.
var preload = Path.Combine(data.Path, LocalProcessBackend.PreloadResourceName);
using (var resource = typeof(LocalProcessBackend).Assembly.GetManifestResourceStream(LocalProcessBackend.PreloadResourceName)!)
using (var file = File.Create(preload))
{
    resource.CopyTo(file);
}

using var schedulerApiClient = new HttpClient();
var schedulerApi = new SchedulerApi(schedulerApiClient);
var directRuns = 0;
async Task<(double Running, double Worker)> Directly()
{
    var folder = Path.Combine(data.Path, $"direct-{++directRuns}");
    Directory.CreateDirectory(folder);
    var clock = Stopwatch.StartNew();
    var (certificate, key) = ClusterCertificates.Create($"direct{directRuns}", TimeProvider.System);
    var cert = Path.Combine(folder, "tls.crt");
    var keyFile = Path.Combine(folder, "tls.key");
    await File.WriteAllTextAsync(cert, certificate);
    await File.WriteAllTextAsync(keyFile, key);
    var ready = Path.Combine(folder, "scheduler.json");
    var token = RandomNumberGenerator.GetHexString(48, lowercase: true);
    var environment = new Dictionary<string, string> { ["PLATFORM_CLUSTER_API_TOKEN"] = token };
    var scheduler = ClusterProcess.Spawn(new ProcessLaunch(
        "/usr/bin/dask-scheduler",
        ["--host", "127.0.0.1", "--port", "0", "--protocol", "tls", "--dashboard-address", "127.0.0.1:0", "--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", keyFile, "--preload", preload],
        Path.Combine(folder, "scheduler.log"),
        folder,
        environment)
    { ReadyFile = ready });

    // The ready file is opened (empty) before the scheduler starts; it is complete once it parses.
    while (!IsComplete(ready))
    {
        await Task.Delay(50);
    }

    var running = clock.Elapsed.TotalMilliseconds;
    var address = JsonDocument.Parse(await File.ReadAllTextAsync(ready)).RootElement;
    var worker = ClusterProcess.Spawn(new ProcessLaunch(
        "/usr/bin/dask-worker",
        [address.GetProperty("scheduler_address").GetString()!, "--name", "worker-1", "--no-nanny", "--nthreads", "1", "--memory-limit", "536870912", "--host", "127.0.0.1", "--no-dashboard",
         "--death-timeout", "60", "--local-directory", folder, "--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", keyFile],
        Path.Combine(folder, "worker-1.log"),
        folder,
        new Dictionary<string, string>()));
    var apiPort = address.GetProperty("api_port").GetInt32();
    while ((await schedulerApi.GetStatusAsync(apiPort, token, CancellationToken.None)).Workers.Count < 1)
    {
        await Task.Delay(20);
    }

    var registered = clock.Elapsed.TotalMilliseconds;
    await Task.WhenAll(worker.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None), scheduler.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
    return (running, registered);
}

Console.WriteLine($"Clusters benchmark on {Environment.ProcessorCount} cores, {iterations} runs each (alternating, after one warm-up of each)");
await ThroughService();
await Directly();
var serviceRuns = new List<(double Running, double Worker)>();
var direct = new List<(double Running, double Worker)>();
for (var i = 0; i < iterations; i++)
{
    serviceRuns.Add(await ThroughService());
    direct.Add(await Directly());
}

Report("create → RUNNING (scheduler up)", serviceRuns.Select(r => r.Running), direct.Select(r => r.Running));
Report("create → RUNNING → 1 worker registered", serviceRuns.Select(r => r.Worker), direct.Select(r => r.Worker));

// List latency: 10,000 records (100 users × 100 clusters, stopped or failed), inserted directly.
await using (var database = NpgsqlDataSource.Create(connectionString))
{
    var (certificate, key) = ClusterCertificates.Create("bench", TimeProvider.System);
    await using var insert = database.CreateCommand("""
        insert into clusters (name, owner, state, options, resources, max_workers, tls_cert, tls_key, created_at, stopped_at)
        select md5(i::text), 'user-' || lpad((i % 100)::text, 3, '0'), case when i % 10 = 0 then 'FAILED' else 'STOPPED' end,
               '{"worker_cores":1,"worker_memory":0.5,"worker_threads":1,"environment":{},"log_level":"info","spill_to_disk":true,"idle_timeout":0,"description":""}',
               '{"cores":1,"memoryBytes":536870912,"threads":1,"environment":{}}', 16, $1, $2,
               now() - make_interval(secs => i), now() - make_interval(secs => i) + interval '1 minute'
        from generate_series(1, 10000) as i
        """);
    insert.Parameters.Add(new() { Value = certificate });
    insert.Parameters.Add(new() { Value = key });
    await insert.ExecuteNonQueryAsync();
    await using var analyze = database.CreateCommand("analyze clusters");
    await analyze.ExecuteNonQueryAsync();
}

Console.WriteLine();
Console.WriteLine("List latency with 10,000 cluster records (in-process HTTP, 100 calls after 10 warm-up calls):");
await ListLatency("user, default (active clusters: 0 rows)", "/api/v1/clusters/", "user-042", false);
await ListLatency("user, ?status=STOPPED,FAILED (100 rows)", "/api/v1/clusters/?status=STOPPED,FAILED", "user-042", false);
await ListLatency("admin, ?status=FAILED (1,000 rows)", "/api/v1/clusters/?status=FAILED", "admin", true);
await ListLatency("admin, ?status=STOPPED,FAILED (10,000 rows)", "/api/v1/clusters/?status=STOPPED,FAILED", "admin", true, calls: 20);

async Task ListLatency(string label, string path, string user, bool admin, int calls = 100)
{
    for (var i = 0; i < 10; i++)
    {
        await Call(HttpMethod.Get, path, user: user, admin: admin);
    }

    var samples = new List<double>();
    var rows = 0;
    for (var i = 0; i < calls; i++)
    {
        var clock = Stopwatch.StartNew();
        rows = (await Call(HttpMethod.Get, path, user: user, admin: admin)).EnumerateObject().Count();
        samples.Add(clock.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine($"  {label,-48} rows={rows,6}  p50={Percentile(samples, 50),8:0.0} ms  p95={Percentile(samples, 95),8:0.0} ms");
}

static void Report(string label, IEnumerable<double> throughService, IEnumerable<double> directly)
{
    var viaService = throughService.ToList();
    var direct = directly.ToList();
    var ratio = Percentile(viaService, 50) / Percentile(direct, 50);
    Console.WriteLine($"{label}:");
    Console.WriteLine($"  through the service  p50={Percentile(viaService, 50),8:0} ms  p95={Percentile(viaService, 95),8:0} ms  mean={viaService.Average(),8:0} ms");
    Console.WriteLine($"  started directly     p50={Percentile(direct, 50),8:0} ms  p95={Percentile(direct, 95),8:0} ms  mean={direct.Average(),8:0} ms");
    Console.WriteLine($"  ratio (p50 service / p50 direct) = {ratio:0.00}");
}

static bool IsComplete(string readyFile)
{
    try
    {
        using var document = JsonDocument.Parse(File.ReadAllText(readyFile));
        return true;
    }
    catch (JsonException)
    {
        return false;
    }
}

static double Percentile(List<double> samples, int percentile)
{
    var sorted = samples.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>The Clusters service in process (the same host the integration tests use), configured for the benchmark.</summary>
internal sealed class BenchHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<clusters::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
