using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting;

/// <summary>
/// Locally, what Kubernetes' <c>restartPolicy: Always</c> does when published: DCP leaves a process that exits on
/// its own exited, so a service or server that crashes is started again through its start command, with backoff.
/// What DCP was asked to stop (the dashboard's stop, shutdown) passes through Stopping first and is left alone.
/// </summary>
public sealed class RestartPolicy(ResourceNotificationService notifications, ResourceCommandService commands, ILogger<RestartPolicy> logger)
    : BackgroundService
{
    /// <summary>Delay before the first restart; it doubles with each crash that follows without a healthy run between.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaximumDelay = TimeSpan.FromSeconds(30);

    /// <summary>The delay before restart number <paramref name="crashes"/> (1-based) since the last healthy run.</summary>
    public static TimeSpan Backoff(int crashes) =>
        TimeSpan.FromTicks(Math.Min(MaximumDelay.Ticks, FirstDelay.Ticks << Math.Clamp(crashes - 1, 0, 16)));

    /// <summary>A crash is an exit on its own from running, or from starting again after a crash (crash-loop backoff); a first
    /// start that fails is not retried (a missing prerequisite would only fail again), and a stop passes through Stopping.</summary>
    public static bool IsCrash(string? previousState, string? state, bool restarting = false) =>
        (previousState == KnownResourceStates.Running || (restarting && previousState == KnownResourceStates.Starting))
        && state is "Finished" or "Exited" or "FailedToStart";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        var crashes = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (update.Resource is not (ExecutableResource or ProjectResource))
            {
                continue;
            }

            var state = update.Snapshot.State?.Text;
            states.TryGetValue(update.ResourceId, out var previous);
            states[update.ResourceId] = state;
            if (update.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                crashes.Remove(update.ResourceId);
            }

            if (IsCrash(previous, state, restarting: crashes.ContainsKey(update.ResourceId)))
            {
                var count = crashes[update.ResourceId] = crashes.GetValueOrDefault(update.ResourceId) + 1;
                var delay = Backoff(count);
                logger.LogWarning(
                    "{Resource} exited on its own (exit code {ExitCode}); restarting it in {Delay:0.#} s (crash {Count} since it was last healthy)",
                    update.ResourceId, update.Snapshot.ExitCode, delay.TotalSeconds, count);
                _ = RestartAsync(update.ResourceId, delay, stoppingToken);
            }
        }
    }

    private async Task RestartAsync(string resourceId, TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stopping);
            if (!result.Success)
            {
                logger.LogError("Restarting {Resource} failed: {Error}", resourceId, result.Message);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
