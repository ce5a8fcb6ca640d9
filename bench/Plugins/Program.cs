extern alias plugins;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.Plugins.Loading;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;
using plugins::Platform.Plugins.Loading;

// Plugins benchmark: (1) dispatch latency from a cluster event's commit (through the same transactional outbox and relay
// Clusters uses, RabbitMQ, the inbox consumer and the dispatcher) to the start of the hello plugin's handler, p50/p99;
// (2) the memory one loaded plugin costs (its own load context, initialized), averaged over many loads.
var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Platform.sln")))
{
    repository = repository.Parent;
}

var root = repository?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the build output.");
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_PLUGINS", Path.Combine(root, "services", "Plugins"));
var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var loads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;

using var packages = new TestDirectory("plugins-bench-packages");
Run("dotnet", "pack", Path.Combine(root, "src", "Platform.Plugins.Samples.Hello"), "-c", "Release", "-o", packages.Path, "-nologo", "-v:q");
var hello = await File.ReadAllBytesAsync(Directory.EnumerateFiles(packages.Path, "*.nupkg").Single());

var infrastructure = new InfrastructureFixture();
await infrastructure.InitializeAsync();
using var identity = new TestIdentity();
using var objects = new TestDirectory("plugins-bench-objects");
var connectionString = await infrastructure.CreateDatabaseAsync("pluginsdb_bench");
await using var service = new BenchHost(new Dictionary<string, string?>(identity.Configuration)
{
    ["ConnectionStrings:pluginsdb"] = connectionString,
    ["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString,
    ["ConnectionStrings:objects"] = $"Folder={objects.Path}",
    ["Platform:ServiceName"] = "plugins-bench",
    ["Logging:LogLevel:Default"] = "Warning",
});
var http = service.CreateClient();
await Call(HttpMethod.Post, "/api/plugins", new ByteArrayContent(hello) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } });
await Call(HttpMethod.Post, "/api/plugins/hello/enable", null);

// (1) Latency: commit ClusterRunning in an outbox transaction, then read when the handler's attempt started.
var database = service.Services.GetRequiredService<NpgsqlDataSource>();
var outbox = service.Services.GetRequiredService<IntegrationEventOutbox>();
var labels = new Dictionary<string, string> { ["hello"] = "yes" };
var latencies = new List<double>();
for (var i = 0; i < events + 10; i++)
{
    var cluster = $"bench-{i}-{Guid.NewGuid():N}";
    DateTimeOffset committed;
    await using (var connection = await database.OpenConnectionAsync())
    await using (var transaction = await connection.BeginTransactionAsync())
    {
        await outbox.EnqueueAsync(transaction, new ClusterRunning(cluster, "bench", "tls://x:1", "http://x:2", DateTimeOffset.UtcNow, labels));
        await transaction.CommitAsync();
        committed = DateTimeOffset.UtcNow;
    }

    var started = await HandlerStartAsync(cluster);
    if (i >= 10)
    {
        latencies.Add((started - committed).TotalMilliseconds);
    }
}

latencies.Sort();
Console.WriteLine($"Dispatch latency, event commit -> handler start ({latencies.Count} events, sequential): " +
    $"p50 {Percentile(0.50):0.0} ms, p90 {Percentile(0.90):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {latencies[^1]:0.0} ms");

// (2) Memory: load the package into `loads` fresh load contexts (initialized, not activated), then unload them all.
var host = service.Services.GetRequiredService<PluginHost>();
var package = PackageInspector.Inspect(hello, long.MaxValue).Package!;
var process = Process.GetCurrentProcess();
var heapBefore = Settle();
process.Refresh();
var workingSetBefore = process.WorkingSet64;
var loaded = new List<LoadedPlugin>();
for (var i = 0; i < loads; i++)
{
    loaded.Add((await host.LoadAsync(package, PluginSources.Registry, CancellationToken.None)).Plugin!);
}

var heapLoaded = Settle();
process.Refresh();
var workingSetLoaded = process.WorkingSet64;
foreach (var plugin in loaded)
{
    await host.UnloadAsync(plugin);
}

loaded.Clear();
var heapAfter = Settle();
Console.WriteLine($"Memory per loaded plugin ({loads} loads of hello, {hello.Length / 1024.0:0.0} KB package): " +
    $"managed heap {(heapLoaded - heapBefore) / 1024.0 / loads:0.0} KB, working set {(workingSetLoaded - workingSetBefore) / 1024.0 / loads:0.0} KB; " +
    $"heap after unloading all: {(heapAfter - heapBefore) / 1024.0:+0.0;-0.0} KB vs before");

double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)];

static long Settle()
{
    for (var i = 0; i < 5; i++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    return GC.GetTotalMemory(forceFullCollection: true);
}

async Task<DateTimeOffset> HandlerStartAsync(string cluster)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        await using var command = database.CreateCommand(
            "select a.started_at from handler_attempts a join handler_runs r on r.id = a.run_id where r.cluster_name = $1 order by a.attempt limit 1");
        command.Parameters.Add(new() { Value = cluster });
        if (await command.ExecuteScalarAsync() is DateTime started)
        {
            return new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc));
        }

        await Task.Delay(2);
    }

    throw new TimeoutException($"The handler never ran for {cluster}.");
}

async Task Call(HttpMethod method, string path, HttpContent? content)
{
    using var request = new HttpRequestMessage(method, path) { Content = content };
    var (name, value) = identity.Header("bench-admin", admin: true);
    request.Headers.Add(name, value);
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

static void Run(string file, params string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}");
    }
}

/// <summary>The real Plugins service in memory, on the benchmark's PostgreSQL, RabbitMQ and folder object store.</summary>
internal sealed class BenchHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<plugins::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
