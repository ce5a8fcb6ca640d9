using System.Diagnostics;
using System.Globalization;
using Platform.Hosting.Infrastructure;
using Platform.Memory.Bench;
using Platform.Testing.Servers;

// Each service's resident memory as deployed (its Release build, run by `dotnet`, as the AppHost runs it): idle after
// start-up, where it is (smaps by category), then after N requests. Settings for an experiment: --env NAME=VALUE applies to
// every run; --variant "label:A=1,B=2" adds a run of all five services with those settings after the as-built one, against
// the same PostgreSQL and RabbitMQ, one run at a time (PSS depends on who else maps the same files). A NAME with a dot
// (System.GC.RetainVM) is a runtimeconfig.json property, given to `dotnet exec --runtimeconfig`; "published=DIR" is
// --published for that run alone (a code change built elsewhere: dotnet build services/X -c Release -o DIR/X); others are environment.
// Usage: dotnet run -c Release --project bench/Memory -- [--requests 1000] [--idle 15] [--published DIR] [--files] [--env NAME=VALUE]...
//        [--variant LABEL:NAME=VALUE,...]...
var requests = 1000;
var idle = TimeSpan.FromSeconds(15);
var configuration = "Release";
string? published = null;
var listFiles = false;
var extra = new Dictionary<string, string?>();
var variants = new List<(string Label, string[] Settings)>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--requests":
            requests = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--idle":
            idle = TimeSpan.FromSeconds(double.Parse(args[++i], CultureInfo.InvariantCulture));
            break;
        case "--configuration":
            configuration = args[++i];
            break;
        case "--published":
            // A folder of `dotnet publish -o DIR/<Service>` outputs (ReadyToRun, say) used instead of the builds it holds.
            published = Path.GetFullPath(args[++i]);
            break;
        case "--files":
            // Each service's resident KB per mapped file (assemblies, native libraries) at idle, largest first.
            listFiles = true;
            break;
        case "--env":
            var pair = args[++i].Split('=', 2);
            extra[pair[0]] = pair[1];
            break;
        case "--variant":
            var variant = args[++i].Split(':', 2);
            variants.Add((variant[0], variant.Length > 1 ? variant[1].Split(',', StringSplitOptions.RemoveEmptyEntries) : []));
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

var root = RepositoryRoot();
string Assembly(string service, string? builds) =>
    builds is not null && File.Exists(Path.Combine(builds, service, $"Platform.{service}.dll"))
        ? Path.Combine(builds, service, $"Platform.{service}.dll")
        : Path.Combine(root, "services", service, "bin", configuration, "net10.0", $"Platform.{service}.dll") is var path && File.Exists(path)
        ? path
        : throw new FileNotFoundException($"Build it first: dotnet build services/{service} -c {configuration}", path);

var data = Path.Combine(Path.GetTempPath(), $"platform-memory-{Environment.ProcessId}");
Directory.CreateDirectory(data);
Console.WriteLine($"memory bench: {configuration} builds{(published is null ? "" : $" (published ones from {published} first)")}, idle {idle.TotalSeconds:0} s, {requests} requests each, settings: {(extra.Count == 0 ? "as built" : string.Join(' ', extra.Select(e => $"{e.Key}={e.Value}")))}");

await using var postgres = await PostgresServer.StartAsync(new PostgresServerOptions(Path.Combine(data, "postgres")));
await using var rabbit = await RabbitMqServer.StartAsync(new RabbitMqServerOptions(Path.Combine(data, "rabbitmq")));
await using var objects = await ObjectStoreServer.StartAsync(new ObjectStoreServerOptions(Path.Combine(data, "objects")));
foreach (var database in new[] { "authdb", "clustersdb", "webhooksdb", "pluginsdb" })
{
    await postgres.CreateDatabaseAsync(database);
}

var proxyToken = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
var sealingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
variants.Insert(0, ("as built", []));
var runs = new List<VariantRun>();
foreach (var (label, settings) in variants)
{
    var environment = new Dictionary<string, string?>(extra);
    var properties = new Dictionary<string, string>();
    var builds = published;
    foreach (var setting in settings)
    {
        var (name, value) = (setting.Split('=', 2)[0], setting.Split('=', 2)[1]);
        if (name == "published")
        {
            builds = Path.GetFullPath(value);
        }
        else if (name.Contains('.', StringComparison.Ordinal))
        {
            properties[name] = value;
        }
        else
        {
            environment[name] = value;
        }
    }

    runs.Add(await RunAsync(label, environment, properties, builds));
}

Console.WriteLine();
Console.WriteLine($"{"variant",-40} {"max idle RSS",12} {"idle RSS",9} {"idle PSS",9} {"busy RSS",9} {"busy PSS",9} {"p50 ms",7} {"p99 ms",7} {"start s",8}   (MB; idle/busy = sum of the five services)");
foreach (var run in runs)
{
    Console.WriteLine($"{run.Label,-40} {run.Services.Max(s => s.Idle.RssMb),12:0.0} {run.Services.Sum(s => s.Idle.RssMb),9:0.0} {run.Services.Sum(s => s.Idle.PssMb),9:0.0} "
        + $"{run.Services.Sum(s => s.Busy.RssMb),9:0.0} {run.Services.Sum(s => s.Busy.PssMb),9:0.0} {run.Latency.P50Ms,7:0.00} {run.Latency.P99Ms,7:0.00} {run.Services.Sum(s => s.StartTime.TotalSeconds),8:0.0}");
}

try
{
    Directory.Delete(data, recursive: true);
}
catch (IOException)
{
    // A server may still be releasing files; the folder is under /tmp.
}

return 0;

async Task<VariantRun> RunAsync(string label, Dictionary<string, string?> settings, Dictionary<string, string> properties, string? builds)
{
    Console.WriteLine();
    Console.WriteLine($"== {label}: {(settings.Count + properties.Count == 0 ? "as built" : string.Join(' ', settings.Select(e => $"{e.Key}={e.Value}").Concat(properties.Select(p => $"{p.Key}={p.Value}"))))}"
        + (builds is null ? "" : $", builds from {builds} first"));
    var services = new List<ServiceUnderTest>();
    try
    {
        return await MeasureAsync(label, settings, properties, builds, services);
    }
    finally
    {
        foreach (var service in Enumerable.Reverse(services))
        {
            await service.DisposeAsync();
        }
    }
}

string? RuntimeConfig(string service, string? builds, Dictionary<string, string> properties)
{
    if (properties.Count == 0)
    {
        return null;
    }

    var built = Path.ChangeExtension(Assembly(service, builds), ".runtimeconfig.json");
    var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(built))!;
    var configProperties = json["runtimeOptions"]!["configProperties"] ??= new System.Text.Json.Nodes.JsonObject();
    foreach (var (name, value) in properties)
    {
        configProperties[name] = bool.TryParse(value, out var flag) ? flag : long.TryParse(value, CultureInfo.InvariantCulture, out var number) ? number : value;
    }

    var path = Path.Combine(data, $"{service}.{Guid.NewGuid():N}.runtimeconfig.json");
    File.WriteAllText(path, json.ToJsonString());
    return path;
}

async Task<VariantRun> MeasureAsync(string label, Dictionary<string, string?> settings, Dictionary<string, string> properties, string? builds, List<ServiceUnderTest> services)
{
    Dictionary<string, string?> ServiceEnvironment(params (string Key, string Value)[] serviceSettings)
    {
        var environment = new Dictionary<string, string?>(settings)
        {
            ["ConnectionStrings__messaging"] = rabbit.ConnectionString,
            ["Proxy__Token"] = proxyToken,
            // As deployed (Production): a sealing key and an authentication choice are required.
            ["Secrets__SealingKey"] = sealingKey,
            ["Auth__Simple__Password"] = proxyToken,
            ["ASPNETCORE_HTTP_PORTS"] = null,
            ["DOTNET_ENVIRONMENT"] = null,
        };
        foreach (var (key, value) in serviceSettings)
        {
            environment[key] = value;
        }

        // As the AppHost and the published manifests set them (ConfigureServiceProcesses); a variant may set other values
        // (DOTNET_JitHostMaxSlabCache=1000000, hexadecimal, is the runtime's default of 16 MB).
        environment.TryAdd("MALLOC_ARENA_MAX", "2");
        environment.TryAdd("DOTNET_JitHostMaxSlabCache", "0");

        return environment;
    }

    ServiceUnderTest Service(string name, string service, params (string Key, string Value)[] serviceSettings) =>
        new(name, Assembly(service, builds), FreePort.Pick(), ServiceEnvironment(serviceSettings), RuntimeConfig(service, builds, properties));

    var auth = Service("auth", "Auth", ("ConnectionStrings__authdb", postgres.GetConnectionString("authdb")));
    services.Add(auth);
    await auth.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None);
    var authUrl = ("services__auth__http__0", auth.Url.ToString().TrimEnd('/'));

    var clusters = Service("clusters", "Clusters",
        ("ConnectionStrings__clustersdb", postgres.GetConnectionString("clustersdb")), authUrl, ("Clusters__DataDirectory", Path.Combine(data, "clusters")));
    var webhooks = Service("webhooks", "Webhooks", ("ConnectionStrings__webhooksdb", postgres.GetConnectionString("webhooksdb")), authUrl);
    var plugins = Service("plugins", "Plugins",
        ("ConnectionStrings__pluginsdb", postgres.GetConnectionString("pluginsdb")), ("ConnectionStrings__objects", objects.ConnectionString), authUrl);
    services.AddRange([clusters, webhooks, plugins]);
    await Task.WhenAll(clusters.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None), webhooks.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None), plugins.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None));

    var proxy = Service("proxy", "Proxy",
        authUrl,
        ("services__clusters__http__0", clusters.Url.ToString().TrimEnd('/')),
        ("services__webhooks__http__0", webhooks.Url.ToString().TrimEnd('/')),
        ("services__plugins__http__0", plugins.Url.ToString().TrimEnd('/')));
    services.Add(proxy);
    await proxy.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None);

    await Task.Delay(idle);
    var idleMemory = services.ToDictionary(s => s.Name, s => ProcessMemory.Of(s.ProcessId));
    var breakdown = services.ToDictionary(s => s.Name, s => MemoryBreakdown.Of(s.ProcessId));

    // Each service answers its readiness check (database, broker) N times; the Proxy also forwards N API calls to Clusters.
    using var http = new HttpClient();
    var stopwatch = Stopwatch.StartNew();
    var latencies = new List<double>();
    async Task TimedGetAsync(Uri uri)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(uri);
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    foreach (var service in services)
    {
        for (var n = 0; n < requests; n++)
        {
            await TimedGetAsync(new Uri(service.Url, "/health"));
        }
    }

    for (var n = 0; n < requests; n++)
    {
        await TimedGetAsync(new Uri(proxy.Url, "/api/health"));
    }

    var elapsed = stopwatch.Elapsed;
    await Task.Delay(TimeSpan.FromSeconds(5));
    var busyMemory = services.ToDictionary(s => s.Name, s => ProcessMemory.Of(s.ProcessId));

    latencies.Sort();
    var latency = new Latency(latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)]);
    Console.WriteLine($"requests took {elapsed.TotalSeconds:0.0} s (p50 {latency.P50Ms:0.00} ms, p99 {latency.P99Ms:0.00} ms)");
    Console.WriteLine($"{"service",-10} {"idle RSS",9} {"idle PSS",9} {"busy RSS",9} {"busy PSS",9} {"start s",8}   (MB; busy = after {requests} requests)");
    foreach (var service in services)
    {
        var (before, after) = (idleMemory[service.Name], busyMemory[service.Name]);
        Console.WriteLine($"{service.Name,-10} {before.RssMb,9:0.0} {before.PssMb,9:0.0} {after.RssMb,9:0.0} {after.PssMb,9:0.0} {service.StartTime.TotalSeconds,8:0.0}");
    }

    Console.WriteLine($"{"total",-10} {idleMemory.Values.Sum(m => m.RssMb),9:0.0} {idleMemory.Values.Sum(m => m.PssMb),9:0.0} {busyMemory.Values.Sum(m => m.RssMb),9:0.0} {busyMemory.Values.Sum(m => m.PssMb),9:0.0}");
    Console.WriteLine($"idle RSS by category (MB; assemblies mapped: framework/app):");
    Console.WriteLine($"{"service",-10} {string.Join(' ', MemoryBreakdown.Categories.Select(c => $"{c,10}"))} {"assemblies",10} {"threads",7}");
    foreach (var service in services)
    {
        var parts = breakdown[service.Name];
        Console.WriteLine($"{service.Name,-10} {string.Join(' ', MemoryBreakdown.Categories.Select(c => $"{parts.Megabytes[c],10:0.0}"))} {$"{parts.FrameworkAssemblies}/{parts.AppAssemblies}",10} {parts.Threads,7}");
    }

    if (listFiles)
    {
        foreach (var service in services)
        {
            var files = breakdown[service.Name].Files.OrderByDescending(f => f.Value).ToList();
            Console.WriteLine($"{service.Name}: resident KB per mapped file ({files.Count} files, {files.Sum(f => f.Value) / 1024.0:0.0} MB)");
            foreach (var (path, kb) in files)
            {
                Console.WriteLine($"  {kb,7} {path}");
            }
        }
    }

    return new VariantRun(
        label,
        [.. services.Select(s => new ServiceResult(s.Name, idleMemory[s.Name], busyMemory[s.Name], s.StartTime))],
        latency);
}


static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run from inside the repository.");
}

internal sealed record Latency(double P50Ms, double P99Ms);

internal sealed record ServiceResult(string Name, ProcessMemory Idle, ProcessMemory Busy, TimeSpan StartTime);

internal sealed record VariantRun(string Label, ServiceResult[] Services, Latency Latency);
