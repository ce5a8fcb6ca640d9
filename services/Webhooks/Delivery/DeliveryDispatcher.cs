using Microsoft.Extensions.Options;
using Npgsql;
using Platform.ServiceDefaults.Data;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>
/// Wakes on <c>NOTIFY webhook_messages</c> (and at the next scheduled retry), finds endpoints with due messages and runs
/// one lane per endpoint: a lane delivers its endpoint's batches until none is due, so a slow or dead endpoint only ever
/// holds its own lane. Replicas share the work through row locks, never by coordination.
/// </summary>
public sealed class DeliveryDispatcher(
    NpgsqlDataSource database,
    EndpointDelivery delivery,
    IOptions<WebhookSettings> options,
    TimeProvider time,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, Lane> lanes = [];
    private DateTimeOffset wakeAt = DateTimeOffset.MaxValue;
    private bool deferred;
    private CancellationToken stopping;
    private DatabaseNotifications? notifications;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Delivery;
        stopping = stoppingToken;
        // The sweep interval is the fallback poll; a lease a dead replica left is found by the next-due time below.
        notifications = new DatabaseNotifications(database, MessageStore.NotificationChannel, settings.SweepInterval, logger, OnNotification);
        var listener = notifications.ListenAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            DateTimeOffset next;
            try
            {
                var (due, nextDue) = await FindWorkAsync(stoppingToken);
                foreach (var endpointId in due)
                {
                    StartOrNudge(endpointId, stoppingToken);
                }

                next = nextDue ?? DateTimeOffset.MaxValue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning("Webhook dispatcher could not read due messages ({Error}); retrying", e.Message);
                next = time.GetUtcNow().AddSeconds(1);
            }

            var sweep = time.GetUtcNow() + settings.SweepInterval;
            lock (gate)
            {
                wakeAt = next < sweep ? next : sweep;
            }

            await WaitAsync(stoppingToken);
        }

        Task[] running;
        lock (gate)
        {
            running = [.. lanes.Values.Select(l => l.Task!)];
        }

        await Task.WhenAll(running.Append(listener));
    }

    private async Task<(List<Guid> Due, DateTimeOffset? NextDue)> FindWorkAsync(CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            select distinct m.endpoint_id from webhook_messages m join webhook_endpoints e on e.id = m.endpoint_id
            where m.status = 'pending' and m.next_attempt_at <= now() and (m.leased_until is null or m.leased_until <= now())
              and e.enabled and (e.throttled_until is null or e.throttled_until <= now())
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            select min(greatest(m.next_attempt_at, m.leased_until, e.throttled_until)) from webhook_messages m join webhook_endpoints e on e.id = m.endpoint_id
            where m.status = 'pending' and e.enabled and greatest(m.next_attempt_at, m.leased_until, e.throttled_until) > now()
            """));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var due = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(reader.GetGuid(0));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (due, reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0));
    }

    private void StartOrNudge(Guid endpointId, CancellationToken stoppingToken)
    {
        lock (gate)
        {
            if (lanes.TryGetValue(endpointId, out var lane))
            {
                lane.MoreSignalled = true;
                return;
            }

            if (lanes.Count >= Math.Max(1, options.Value.Delivery.MaxActiveEndpoints))
            {
                deferred = true;
                return;
            }

            lane = new Lane();
            lanes[endpointId] = lane;
            lane.Task = Task.Run(() => RunLaneAsync(endpointId, lane, stoppingToken), CancellationToken.None);
        }
    }

    private async Task RunLaneAsync(Guid endpointId, Lane lane, CancellationToken stoppingToken)
    {
        while (true)
        {
            var result = BatchResult.Empty;
            try
            {
                result = await delivery.DeliverBatchAsync(endpointId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The claimed messages went back (or their lease ends): they stay pending, with no attempt recorded.
            }
            catch (Exception e)
            {
                logger.LogWarning("Delivery to webhook endpoint {EndpointId} failed unexpectedly ({Error}); trying again shortly", endpointId, e.Message);
                result = new BatchResult(0, time.GetUtcNow().AddSeconds(1));
            }

            if (result.NextDue is { } due)
            {
                WakeBy(due);
            }

            lock (gate)
            {
                if (stoppingToken.IsCancellationRequested || (result.Claimed == 0 && !lane.MoreSignalled))
                {
                    lanes.Remove(endpointId);
                    if (deferred)
                    {
                        deferred = false;
                        Wake();
                    }

                    return;
                }

                lane.MoreSignalled = false;
            }
        }
    }

    /// <summary>A payload names the endpoint with new work: its lane is started or nudged without a query.</summary>
    private void OnNotification(string payload)
    {
        if (Guid.TryParse(payload, out var endpointId))
        {
            StartOrNudge(endpointId, stopping);
        }
        else
        {
            Wake();
        }
    }

    private void WakeBy(DateTimeOffset due)
    {
        lock (gate)
        {
            if (due >= wakeAt)
            {
                return;
            }

            wakeAt = due;
        }

        Wake();
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay;
        lock (gate)
        {
            delay = wakeAt - time.GetUtcNow();
        }

        if (delay > TimeSpan.Zero)
        {
            await notifications!.WaitAsync(delay, cancellationToken);
        }
    }

    private void Wake() => notifications?.Wake();

    public override void Dispose()
    {
        notifications?.Dispose();
        base.Dispose();
    }

    private sealed class Lane
    {
        public bool MoreSignalled { get; set; }

        public Task? Task { get; set; }
    }
}
