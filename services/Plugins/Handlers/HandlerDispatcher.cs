using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Plugins.Infrastructure;
using Platform.Plugins.Loading;
using Platform.Plugins.Model;
using Platform.ServiceDefaults.Data;

namespace Platform.Plugins.Handlers;

/// <summary>
/// Claims due handler runs and starts them, each plugin in its own lane of <see cref="PluginSettings.ConcurrencyPerPlugin"/>
/// slots, so one plugin's slow or hanging handlers never delay another's. Woken by <c>pg_notify</c> when runs are
/// enqueued; polls for due retries otherwise.
/// </summary>
public sealed class HandlerDispatcher(
    PluginHost host,
    HandlerRunStore runs,
    HandlerInvoker invoker,
    NpgsqlDataSource database,
    IOptions<PluginSettings> settings,
    ILogger<HandlerDispatcher> logger) : BackgroundService
{
    private readonly DatabaseNotifications notifications = new(database, HandlerRunStore.NotificationChannel, settings.Value.PollInterval, logger);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> lanes = new(StringComparer.Ordinal);

    public void Wake() => notifications.Wake();

    public override void Dispose()
    {
        notifications.Dispose();
        foreach (var lane in lanes.Values)
        {
            lane.Dispose();
        }

        base.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reset = await runs.ResetInterruptedAsync(stoppingToken);
        if (reset > 0)
        {
            logger.LogInformation("{Count} handler runs interrupted by the last stop will run again", reset);
        }

        var listening = notifications.ListenAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchDueAsync(stoppingToken);
                await notifications.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Dispatching handler runs failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        await listening;
    }

    private async Task DispatchDueAsync(CancellationToken stoppingToken)
    {
        foreach (var plugin in host.Active)
        {
            var lane = lanes.GetOrAdd(plugin.Name, _ => new SemaphoreSlim(settings.Value.ConcurrencyPerPlugin));
            var free = lane.CurrentCount;
            if (free == 0)
            {
                continue;
            }

            foreach (var run in await runs.ClaimAsync(plugin.Name, free, stoppingToken))
            {
                await lane.WaitAsync(stoppingToken);
                _ = RunInLaneAsync(run, lane, stoppingToken);
            }
        }
    }

    private async Task RunInLaneAsync(ClaimedHandlerRun run, SemaphoreSlim lane, CancellationToken stoppingToken)
    {
        try
        {
            await invoker.InvokeAsync(run, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Handler run {Run} of {Plugin}/{Handler} could not be recorded", run.Id, run.Plugin, run.Handler);
        }
        finally
        {
            lane.Release();
            Wake();
        }
    }
}
