extern alias webhooks;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Contracts.Clusters;
using Platform.ServiceDefaults.Data;
using Platform.ServiceDefaults.Messaging;
using Platform.ServiceDefaults.Secrets;
using Platform.Testing;
using webhooks::Platform.Webhooks.Infrastructure;

// Webhooks benchmark, all figures from one run against one receiver (Kestrel on 127.0.0.1, in a child process with the
// bare client: see ReceiverProcess for why):
//  1. deliveries per second with 10 endpoints, events committed to an outbox as Clusters commits them, relayed over
//     RabbitMQ, fanned out, signed and POSTed; as a ratio to a bare HttpClient POSTing the same payloads to the same
//     receiver with the same concurrency (10 endpoints x the per-endpoint limit);
//  2. latency from an event's commit to its arrival at the receiver, at 100 events/s.
// Usage: dotnet run -c Release --project bench/Webhooks -- [events per throughput round] [latency seconds]
if (args is [ReceiverProcess.Argument])
{
    return await ReceiverProcess.RunAsync();
}

var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Platform.sln")))
{
    repository = repository.Parent;
}

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_WEBHOOKS", Path.Combine(repository?.FullName ?? ".", "services", "Webhooks"));
var eventsPerRound = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var latencySeconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
const int Endpoints = 10;
const int PerEndpoint = 8;

var infrastructure = new InfrastructureFixture();
await infrastructure.InitializeAsync();
using var identity = new TestIdentity();
var webhooksDb = await infrastructure.CreateDatabaseAsync("webhooksdb_bench");
await using var service = new BenchHost(new Dictionary<string, string?>(identity.Configuration)
{
    ["ConnectionStrings:webhooksdb"] = webhooksDb,
    ["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString,
    ["Platform:ServiceName"] = $"webhooks-bench-{Environment.ProcessId}",
    ["Secrets:SealingKey"] = SecretSealer.NewKey(),
    ["Webhooks:AllowedHosts"] = "127.0.0.1",
    ["Webhooks:Delivery:MaxConcurrencyPerEndpoint"] = PerEndpoint.ToString(CultureInfo.InvariantCulture),
    ["Logging:LogLevel:Default"] = "Warning",
});
var api = service.CreateClient();
await using var source = await EventSource.StartAsync(infrastructure);
await using var receiver = await RemoteReceiver.StartAsync();
// Each process on its own, so a stage's cost can be pinned on the service, the database or the broker.
(string Name, CpuMeter Meter)[] meters =
[
    ("bench process", new CpuMeter([Environment.ProcessId], [infrastructure.Postgres.ProcessId, infrastructure.RabbitMq.ProcessId, receiver.ProcessId])),
    ("receiver process", new CpuMeter(receiver.ProcessId)),
    ("PostgreSQL", new CpuMeter(infrastructure.Postgres.ProcessId)),
    ("RabbitMQ", new CpuMeter(infrastructure.RabbitMq.ProcessId)),
];
var cpuPerRequest = new Dictionary<string, List<double[]>>();
using var stageMeter = new StageMeter();
async Task<double> Metered(string stage, int requests, Func<Task<double>> run)
{
    Mark(stage, "start");
    var before = meters.Select(m => m.Meter.Seconds()).ToArray();
    var stagesBefore = stageMeter.Take();
    var rate = await run();
    Mark(stage, "end");
    var used = meters.Select((m, i) => (m.Meter.Seconds() - before[i]) * 1e6 / requests).ToArray();
    (cpuPerRequest.TryGetValue(stage, out var list) ? list : cpuPerRequest[stage] = []).Add(used);
    if (stage != "bare")
    {
        // Worker time, not CPU: sends overlap (up to the per-endpoint limit), so send time per message exceeds its CPU.
        Console.WriteLine($"    {stage} worker stages: {StageMeter.Describe(stagesBefore, stageMeter.Take())}");
    }

    return rate;
}

// WEBHOOKS_BENCH_MARKS=1 prints the monotonic clock (s) at each measured phase's start and end, to cut a profile taken
// with `perf record -k CLOCK_MONOTONIC` (DOTNET_PerfMapEnabled=1 names the JIT-compiled methods) to one phase.
var marks = Environment.GetEnvironmentVariable("WEBHOOKS_BENCH_MARKS") == "1";
void Mark(string stage, string edge)
{
    if (marks)
    {
        Console.WriteLine($"mark {stage} {edge} {Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency:F6}");
    }
}

var endpointIds = new List<string>();
for (var i = 0; i < Endpoints; i++)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/endpoints") { Content = JsonContent.Create(new { url = receiver.Url($"e{i}") }) };
    var (name, value) = identity.Header("bench");
    request.Headers.Add(name, value);
    using var response = await api.SendAsync(request);
    response.EnsureSuccessStatusCode();
    endpointIds.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
}

var options = new Dictionary<string, string> { ["worker_cores"] = "1", ["worker_memory"] = "0.5", ["environment"] = "{}" };
object NextEvent(int i) => new ClusterScaled("bench-cluster", "bench", i % 50, DateTimeOffset.UtcNow);

// Through the Webhooks service: commit events in transactions of 50, wait for every delivery.
async Task<double> ThroughWebhooks(int events)
{
    var before = await receiver.CountAsync();
    var clock = Stopwatch.StartNew();
    for (var sent = 0; sent < events; sent += 50)
    {
        await source.PublishAsync([.. Enumerable.Range(sent, Math.Min(50, events - sent)).Select(NextEvent)]);
    }

    await receiver.WaitForCountAsync(before + (events * Endpoints), TimeSpan.FromMinutes(5));
    return events * Endpoints / clock.Elapsed.TotalSeconds;
}

// Bare: the same number of POSTs of a payload of the same size, same receiver paths, same concurrency, from the
// receiver's process (see ReceiverProcess).
var samplePayload = "";
async Task<double> Bare(int events) => events * Endpoints / await receiver.BareAsync(samplePayload, events, Endpoints, PerEndpoint);

Console.WriteLine($"Webhooks benchmark: {Endpoints} endpoints, {PerEndpoint} concurrent deliveries each, {Environment.ProcessorCount} cores");
// The cluster exists first, as in the platform: a later event never waits for its cluster.created.
await source.PublishAsync(new ClusterCreated("bench-cluster", "bench", options, DateTimeOffset.UtcNow));
// Warm-up, unmeasured: whole rounds of each until the JIT is done (a round spends under 2% of its time compiling), so
// both run steady-state code with connections and queues open, as a service that has run for a while does. The service
// compiles far more code than a bare client, and tiering up takes tens of seconds on 2 cores: a short warm-up would
// charge that to its rate.
await ThroughWebhooks(20);
samplePayload = await receiver.SampleBodyAsync() ?? throw new InvalidOperationException("no webhook arrived during the first round");
for (var round = 1; ; round++)
{
    var compiling = System.Runtime.JitInfo.GetCompilationTime();
    var clock = Stopwatch.StartNew();
    await Bare(eventsPerRound);
    await ThroughWebhooks(eventsPerRound);
    var share = (System.Runtime.JitInfo.GetCompilationTime() - compiling) / clock.Elapsed;
    Console.WriteLine($"  warm-up round {round}: {share:P1} of the time compiling");
    if (share < 0.02 || round == 10)
    {
        break;
    }
}

// The statistics a database that has served for a while has (autovacuum analyses a table after its first 50 changes):
// PostgreSQL plans the prepared statements again for them, instead of keeping plans made while the tables were empty.
foreach (var database in new[] { webhooksDb, source.ConnectionString })
{
    await using var connection = new NpgsqlConnection(database);
    await connection.OpenAsync();
    await using var analyze = new NpgsqlCommand("analyze", connection);
    await analyze.ExecuteNonQueryAsync();
}

var bareRates = new List<double>();
var webhookRates = new List<double>();
for (var round = 0; round < 2; round++)
{
    bareRates.Add(await Metered("bare", eventsPerRound * Endpoints, () => Bare(eventsPerRound)));
    webhookRates.Add(await Metered("webhooks", eventsPerRound * Endpoints, () => ThroughWebhooks(eventsPerRound)));
    Console.WriteLine($"  round {round + 1}: bare {bareRates[^1],8:0} req/s   webhooks {webhookRates[^1],8:0} deliveries/s");
}

// The delivery stage alone: the same messages committed straight into webhooksdb, without the source's outbox relay and
// the broker in front. Committed unleased (as for a throttled endpoint, a retry or another process's rows), so this is
// the claim path: NOTIFY, claim, send, record; the consumer's own fan-out hands its rows over without a claim.
await using var webhooksData = NpgsqlDataSource.Create(webhooksDb);
async Task<double> DeliveryOnly(int events)
{
    var before = await receiver.CountAsync();
    var clock = Stopwatch.StartNew();
    await using (var connection = await webhooksData.OpenConnectionAsync())
    await using (var transaction = await connection.BeginTransactionAsync())
    {
        await MessageStore.FanOutAsync(
            transaction,
            [.. Enumerable.Range(0, events).Select(_ => new OutgoingEvent("msg_" + Guid.CreateVersion7().ToString("N"), "cluster.scaled", "bench", samplePayload))],
            CancellationToken.None);

        await transaction.CommitAsync();
    }

    await receiver.WaitForCountAsync(before + (events * Endpoints), TimeSpan.FromMinutes(5));
    return events * Endpoints / clock.Elapsed.TotalSeconds;
}

var deliveryOnly = new List<double>();
await DeliveryOnly(eventsPerRound); // warm-up: the claim path's code
for (var round = 0; round < 2; round++)
{
    deliveryOnly.Add(await Metered("delivery stage", eventsPerRound * Endpoints, () => DeliveryOnly(eventsPerRound)));
}

Console.WriteLine($"Delivery stage alone, claim path (messages committed to webhooksdb): {deliveryOnly.Average():0} deliveries/s, ratio {deliveryOnly.Average() / bareRates.Average():P0} of bare");
var ratio = webhookRates.Average() / bareRates.Average();
Console.WriteLine($"Throughput ({eventsPerRound * Endpoints} deliveries per round, payload {Encoding.UTF8.GetByteCount(samplePayload)} B): "
    + $"webhooks {webhookRates.Average():0} deliveries/s, bare HttpClient {bareRates.Average():0} req/s, ratio {ratio:P0} (target >= 50%)");

// CPU per request of this process (the Webhooks service and the event source), the receiver's (receiver, and the bare
// client in the bare rounds), PostgreSQL and RabbitMQ: on a CPU-bound machine the ratio of the totals is the best
// throughput ratio there can be.
Console.WriteLine("CPU per request, total (" + string.Join(" + ", meters.Select(m => m.Name)) + "):");
foreach (var (stage, runs) in cpuPerRequest)
{
    var perProcess = meters.Select((_, i) => runs.Average(r => r[i])).ToArray();
    Console.WriteLine($"  {stage}: {perProcess.Sum():0} us (" + string.Join(" + ", perProcess.Select(v => $"{v:0}")) + ")");
}

// Latency at 100 events/s, one transaction per event, each fanned out to every endpoint.
async Task Latency(int endpoints)
{
    var commits = new ConcurrentDictionary<string, long>();
    await receiver.ResetArrivalsAsync();
    var total = latencySeconds * 100;
    var start = Stopwatch.GetTimestamp();
    // Each event commits on its own schedule, not after the previous commit: a slow commit (a WAL flush on a busy
    // disk) must not lower the offered rate. Bounded, so a stalled database is not sent more clients than it accepts.
    var publishing = new List<Task>(total);
    using var inFlight = new SemaphoreSlim(16);
    for (var i = 0; i < total; i++)
    {
        var due = start + (long)(i * 0.01 * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var index = i;
        await inFlight.WaitAsync();
        publishing.Add(Task.Run(async () =>
        {
            try
            {
                var ids = await source.PublishAsync(NextEvent(index));
                commits["msg_" + ids[0].ToString("N")] = Stopwatch.GetTimestamp();
            }
            finally
            {
                inFlight.Release();
            }
        }));
    }

    await Task.WhenAll(publishing);
    var achieved = total / Stopwatch.GetElapsedTime(start).TotalSeconds;
    await receiver.WaitForArrivalsAsync(commits.Keys, endpoints, TimeSpan.FromMinutes(2));
    var arrivals = await receiver.ArrivalsAsync(commits.Keys);
    var latencies = arrivals
        .Select(a => Stopwatch.GetElapsedTime(commits[a.Id], a.At).TotalMilliseconds)
        .Order()
        .ToList();
    double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
    Console.WriteLine($"Latency commit -> receiver, {achieved:0} events/s x {endpoints} endpoint(s), {latencies.Count} deliveries: "
        + $"p50 {Percentile(0.50):0.0} ms, p90 {Percentile(0.90):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {latencies[^1]:0.0} ms (target p99 <= 100 ms)");

    // Where the time went, per delivery, from the timestamps both databases (one server, one clock) and the receiver
    // recorded: commit -> relayed to the broker (source outbox) -> consumer's fan-out transaction began -> attempt began
    // -> arrived at the receiver.
    await using var events = NpgsqlDataSource.Create(source.ConnectionString);
    var relayed = new Dictionary<string, (DateTimeOffset Created, DateTimeOffset Dispatched)>();
    await using (var outbox = events.CreateCommand("select message_id, created_at, dispatched_at from outbox_messages where dispatched_at is not null and created_at > now() - interval '10 minutes'"))
    await using (var reader = await outbox.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            relayed["msg_" + reader.GetGuid(0).ToString("N")] = (reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2));
        }
    }

    await using var deliveries = NpgsqlDataSource.Create(webhooksDb);
    var stages = new List<double>[4];
    for (var s = 0; s < stages.Length; s++)
    {
        stages[s] = [];
    }

    var arrivedAt = WallClockArrivals(arrivals, endpointIds);
    await using (var attempt = deliveries.CreateCommand("select m.webhook_id, m.endpoint_id::text, m.created_at, min(a.attempted_at) from webhook_messages m join webhook_attempts a on a.message_seq = m.seq where m.webhook_id = any($1) group by m.seq"))
    {
        attempt.Parameters.Add(new() { Value = commits.Keys.ToArray() });
        await using var reader = await attempt.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            if (!relayed.TryGetValue(id, out var relay))
            {
                continue;
            }

            var (created, dispatched) = relay;
            var fannedOut = reader.GetFieldValue<DateTimeOffset>(2);
            var attempted = reader.GetFieldValue<DateTimeOffset>(3);
            stages[0].Add((dispatched - created).TotalMilliseconds);
            stages[1].Add((fannedOut - dispatched).TotalMilliseconds);
            stages[2].Add((attempted - fannedOut).TotalMilliseconds);
            if (arrivedAt.TryGetValue((id, reader.GetString(1)), out var arrived))
            {
                stages[3].Add((arrived - attempted).TotalMilliseconds);
            }
        }
    }

    string Stage(List<double> values)
    {
        values.Sort();
        double At(double p) => values.Count == 0 ? double.NaN : values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
        return $"p50 {At(0.50):0.0} ms, p99 {At(0.99):0.0} ms";
    }

    Console.WriteLine($"  commit -> relayed to broker: {Stage(stages[0])}; relayed -> fan-out began: {Stage(stages[1])}");
    Console.WriteLine($"  fan-out began -> attempt began: {Stage(stages[2])}; attempt began -> at receiver: {Stage(stages[3])}");
}

await Latency(Endpoints);
for (var i = 1; i < Endpoints; i++)
{
    using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/webhooks/endpoints/{endpointIds[i]}") { Content = JsonContent.Create(new { enabled = false }) };
    var (name, value) = identity.Header("bench");
    request.Headers.Add(name, value);
    using var response = await api.SendAsync(request);
    response.EnsureSuccessStatusCode();
}

await Latency(1);
return 0;

// First arrival of each (webhook-id, endpoint id) by the wall clock, to compare with database timestamps.
static Dictionary<(string Id, string EndpointId), DateTimeOffset> WallClockArrivals(List<Arrival> arrivals, IReadOnlyList<string> endpointIds)
{
    var first = new Dictionary<(string, string), DateTimeOffset>();
    foreach (var arrival in arrivals)
    {
        if (int.TryParse(arrival.Path.AsSpan(2), CultureInfo.InvariantCulture, out var index) && index < endpointIds.Count)
        {
            first.TryAdd((arrival.Id, endpointIds[index]), arrival.Wall);
        }
    }

    return first;
}

internal sealed class BenchHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<webhooks::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>Commits integration events to an outbox and relays them, as the Clusters service does.</summary>
internal sealed class EventSource(IHost host, string connectionString) : IAsyncDisposable
{
    public string ConnectionString => connectionString;

    public static async Task<EventSource> StartAsync(InfrastructureFixture infrastructure)
    {
        var builder = Host.CreateApplicationBuilder();
        var connectionString = await infrastructure.CreateDatabaseAsync("events_bench");
        builder.Configuration["ConnectionStrings:eventsdb"] = connectionString;
        builder.Configuration["ConnectionStrings:messaging"] = infrastructure.RabbitMq.ConnectionString;
        builder.Configuration["Platform:ServiceName"] = $"events-bench-{Environment.ProcessId}";
        // The output folder holds the service's appsettings.json, whose Information level would win over a minimum level.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.AddPlatformDatabase("eventsdb", typeof(IntegrationEventOutbox).Assembly);
        builder.AddPlatformMessaging();
        var host = builder.Build();
        await host.StartAsync();
        return new EventSource(host, connectionString);
    }

    public async Task<IReadOnlyList<Guid>> PublishAsync(params object[] events)
    {
        var database = host.Services.GetRequiredService<NpgsqlDataSource>();
        var outbox = host.Services.GetRequiredService<IntegrationEventOutbox>();
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new List<Guid>();
        foreach (var e in events)
        {
            ids.Add(e is ClusterCreated created ? await outbox.EnqueueAsync(transaction, created) : await outbox.EnqueueAsync(transaction, (ClusterScaled)e));
        }

        await transaction.CommitAsync();
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}

