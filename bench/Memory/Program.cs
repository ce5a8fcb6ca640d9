using System.Diagnostics;
using System.Globalization;
using Platform.Hosting.Infrastructure;
using Platform.Memory.Bench;
using Platform.Testing.Servers;

// Each service's resident memory as deployed (its Release build, run by `dotnet`, as the AppHost runs it): idle after
// start-up, then after N requests. Extra runtime settings for an experiment: --env DOTNET_GCgen0size=0x400000 ...
// Usage: dotnet run -c Release --project bench/Memory -- [--requests 1000] [--idle 15] [--published DIR] [--env NAME=VALUE]...
var requests = 1000;
var idle = TimeSpan.FromSeconds(15);
var configuration = "Release";
string? published = null;
var extra = new Dictionary<string, string?>();
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
        case "--env":
            var pair = args[++i].Split('=', 2);
            extra[pair[0]] = pair[1];
            break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

var root = RepositoryRoot();
string Assembly(string service) =>
    published is not null && File.Exists(Path.Combine(published, service, $"Platform.{service}.dll"))
        ? Path.Combine(published, service, $"Platform.{service}.dll")
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
Dictionary<string, string?> ServiceEnvironment(params (string Key, string Value)[] settings)
{
    var environment = new Dictionary<string, string?>(extra)
    {
        ["ConnectionStrings__messaging"] = rabbit.ConnectionString,
        ["Proxy__Token"] = proxyToken,
        // As deployed (Production): a sealing key and an authentication choice are required.
        ["Secrets__SealingKey"] = sealingKey,
        ["Auth__Simple__Password"] = proxyToken,
        ["ASPNETCORE_HTTP_PORTS"] = null,
        ["DOTNET_ENVIRONMENT"] = null,
    };
    foreach (var (key, value) in settings)
    {
        environment[key] = value;
    }

    return environment;
}

var services = new List<ServiceUnderTest>();
try
{
    var auth = new ServiceUnderTest("auth", Assembly("Auth"), FreePort.Pick(), ServiceEnvironment(("ConnectionStrings__authdb", postgres.GetConnectionString("authdb"))));
    services.Add(auth);
    await auth.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None);
    var authUrl = ("services__auth__http__0", auth.Url.ToString().TrimEnd('/'));

    var clusters = new ServiceUnderTest("clusters", Assembly("Clusters"), FreePort.Pick(), ServiceEnvironment(
        ("ConnectionStrings__clustersdb", postgres.GetConnectionString("clustersdb")), authUrl, ("Clusters__DataDirectory", Path.Combine(data, "clusters"))));
    var webhooks = new ServiceUnderTest("webhooks", Assembly("Webhooks"), FreePort.Pick(), ServiceEnvironment(
        ("ConnectionStrings__webhooksdb", postgres.GetConnectionString("webhooksdb")), authUrl));
    var plugins = new ServiceUnderTest("plugins", Assembly("Plugins"), FreePort.Pick(), ServiceEnvironment(
        ("ConnectionStrings__pluginsdb", postgres.GetConnectionString("pluginsdb")), ("ConnectionStrings__objects", objects.ConnectionString), authUrl));
    services.AddRange([clusters, webhooks, plugins]);
    await Task.WhenAll(clusters.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None), webhooks.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None), plugins.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None));

    var proxy = new ServiceUnderTest("proxy", Assembly("Proxy"), FreePort.Pick(), ServiceEnvironment(
        authUrl,
        ("services__clusters__http__0", clusters.Url.ToString().TrimEnd('/')),
        ("services__webhooks__http__0", webhooks.Url.ToString().TrimEnd('/')),
        ("services__plugins__http__0", plugins.Url.ToString().TrimEnd('/'))));
    services.Add(proxy);
    await proxy.StartAsync(TimeSpan.FromSeconds(90), CancellationToken.None);

    await Task.Delay(idle);
    var idleMemory = services.ToDictionary(s => s.Name, s => ProcessMemory.Of(s.ProcessId));

    // Each service answers its readiness check (database, broker) N times; the Proxy also forwards N API calls to Clusters.
    using var http = new HttpClient();
    var stopwatch = Stopwatch.StartNew();
    foreach (var service in services)
    {
        for (var n = 0; n < requests; n++)
        {
            using var response = await http.GetAsync(new Uri(service.Url, "/health"));
        }
    }

    for (var n = 0; n < requests; n++)
    {
        using var response = await http.GetAsync(new Uri(proxy.Url, "/api/health"));
    }

    await Task.Delay(TimeSpan.FromSeconds(5));
    var busyMemory = services.ToDictionary(s => s.Name, s => ProcessMemory.Of(s.ProcessId));

    Console.WriteLine($"requests took {stopwatch.Elapsed.TotalSeconds:0.0} s");
    Console.WriteLine($"{"service",-10} {"idle RSS",9} {"idle PSS",9} {"busy RSS",9} {"busy PSS",9}   (MB; busy = after {requests} requests)");
    foreach (var service in services)
    {
        var (before, after) = (idleMemory[service.Name], busyMemory[service.Name]);
        Console.WriteLine($"{service.Name,-10} {before.RssMb,9:0.0} {before.PssMb,9:0.0} {after.RssMb,9:0.0} {after.PssMb,9:0.0}");
    }

    Console.WriteLine($"{"total",-10} {idleMemory.Values.Sum(m => m.RssMb),9:0.0} {idleMemory.Values.Sum(m => m.PssMb),9:0.0} {busyMemory.Values.Sum(m => m.RssMb),9:0.0} {busyMemory.Values.Sum(m => m.PssMb),9:0.0}");
    return 0;
}
finally
{
    foreach (var service in Enumerable.Reverse(services))
    {
        await service.DisposeAsync();
    }

    try
    {
        Directory.Delete(data, recursive: true);
    }
    catch (IOException)
    {
        // A server may still be releasing files; the folder is under /tmp.
    }
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
