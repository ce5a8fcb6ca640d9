using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.Loading;
using Platform.Plugins.Model;

namespace Platform.Plugins.Handlers;

/// <summary>
/// kopf's timers: every tick, each timer handler whose interval has passed gets a run for every RUNNING cluster its filter
/// admits. A timer never queues behind itself: no new run while the last one for that cluster is pending or running.
/// </summary>
public sealed class TimerScheduler(PluginHost host, HandlerRunStore runs, NpgsqlDataSource database, IOptions<PluginSettings> settings, TimeProvider time, ILogger<TimerScheduler> logger)
    : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Dictionary<string, string> NoDetails = [];
    private readonly ConcurrentDictionary<(string Plugin, string Handler, string Cluster), DateTimeOffset> lastFired = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var ticks = new PeriodicTimer(settings.Value.TimerTick, time);
        while (await ticks.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Scheduling timer handlers failed");
            }
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var timers = host.Active.SelectMany(p => p.Registrations.Handlers.Where(h => h.IsTimer).Select(h => (Plugin: p.Name, Handler: h))).ToList();
        if (timers.Count == 0)
        {
            return;
        }

        var clusters = new List<(string Name, string Owner, Dictionary<string, string> Labels)>();
        await using (var command = database.CreateCommand("select name, owner, labels::text from cluster_phases where phase = 'RUNNING'"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                clusters.Add((reader.GetString(0), reader.GetString(1), JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2), Json)!));
            }
        }

        var now = time.GetUtcNow();
        var due = new List<NewHandlerRun>();
        foreach (var (plugin, handler) in timers)
        {
            foreach (var cluster in clusters.Where(c => handler.Filter.Matches(c.Owner, c.Labels)))
            {
                var key = (plugin, handler.Name, cluster.Name);
                if (lastFired.TryGetValue(key, out var last) && now - last < handler.TimerInterval)
                {
                    continue;
                }

                lastFired[key] = now;
                due.Add(new NewHandlerRun(plugin, handler.Name, cluster.Name, "timer", "RUNNING", "RUNNING", cluster.Owner, cluster.Labels, NoDetails, null, null));
            }
        }

        if (due.Count > 0)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await runs.EnqueueAsync(transaction, due, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
