using Microsoft.Extensions.Options;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>
/// Keeps the delivery log to <see cref="WebhookSettings.Retention"/>: once a minute after start, then hourly, finished
/// messages older than that go with their attempts, a chunk at a time. Replicas may prune at once; they only delete the
/// same rows.
/// </summary>
public sealed class DeliveryLogRetention(MessageStore messages, IOptions<WebhookSettings> options, TimeProvider time, ILogger<DeliveryLogRetention> logger)
    : BackgroundService
{
    private static readonly TimeSpan FirstRun = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private const int Chunk = 2000;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRun;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, stoppingToken);
                var deleted = await messages.PruneAsync(time.GetUtcNow() - options.Value.Retention, Chunk, Pause, stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Webhook delivery log: {Count} finished messages older than {Retention} deleted", deleted, options.Value.Retention);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Tried again at the next run; nothing is lost by pruning late.
                logger.LogWarning("Webhook delivery log could not be pruned ({Error}); trying again in an hour", e.Message);
            }

            delay = Interval;
        }
    }
}
