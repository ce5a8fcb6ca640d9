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
                lane.ClaimWanted = true;
                return;
            }

            if (lanes.Count >= Math.Max(1, options.Value.Delivery.MaxActiveEndpoints))
            {
                deferred = true;
                return;
            }

            Start(endpointId, new Lane { ClaimWanted = true }, stoppingToken);
        }
    }

    /// <summary>
    /// Messages this process's fan-out committed leased to it: each endpoint's lane sends them next, in their order, without
    /// a claim. What cannot be taken now (stopping, or too many lanes) is given back to the claims of any worker.
    /// </summary>
    public void HandOff(IReadOnlyList<LeasedMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        List<LeasedMessage>? refused = null;
        lock (gate)
        {
            foreach (var group in messages.GroupBy(m => m.Endpoint.Id))
            {
                if (lanes.TryGetValue(group.Key, out var lane))
                {
                    lane.HandedOff.AddRange(group);
                }
                else if (!stopping.IsCancellationRequested && notifications is not null && lanes.Count < Math.Max(1, options.Value.Delivery.MaxActiveEndpoints))
                {
                    lane = new Lane();
                    lane.HandedOff.AddRange(group);
                    Start(group.Key, lane, stopping);
                }
                else
                {
                    deferred = true;
                    (refused ??= []).AddRange(group);
                }
            }
        }

        if (refused is not null)
        {
            // Given back unannounced (no NOTIFY): the dispatcher looks for due work once they are.
            _ = ReleaseAndWakeAsync(refused);
        }
    }

    private async Task ReleaseAndWakeAsync(List<LeasedMessage> messages)
    {
        await ReleaseAsync(messages);
        Wake();
    }

    private void Start(Guid endpointId, Lane lane, CancellationToken stoppingToken)
    {
        lanes[endpointId] = lane;
        // A lane outlives whatever started it (a consumer's span and scope, on a hand-off): it does not inherit its context.
        using (ExecutionContext.SuppressFlow())
        {
            lane.Task = Task.Run(() => RunLaneAsync(endpointId, lane, stoppingToken), CancellationToken.None);
        }
    }

    private async Task RunLaneAsync(Guid endpointId, Lane lane, CancellationToken stoppingToken)
    {
        var batchSize = Math.Max(1, options.Value.Delivery.BatchSize);
        // This endpoint's last record: the next batch is sent while it is written, the next record waits for it.
        var previousRecord = Task.CompletedTask;
        while (true)
        {
            List<LeasedMessage>? handedOff = null;
            List<LeasedMessage>? giveBack = null;
            var done = false;
            lock (gate)
            {
                if (stoppingToken.IsCancellationRequested || (lane.HandedOff.Count == 0 && !lane.ClaimWanted))
                {
                    done = true;
                    lanes.Remove(endpointId);
                    giveBack = [.. lane.HandedOff];
                    lane.HandedOff.Clear();
                    if (deferred)
                    {
                        deferred = false;
                        Wake();
                    }
                }
                else if (lane.HandedOff.Count > 0)
                {
                    handedOff = lane.HandedOff.GetRange(0, Math.Min(batchSize, lane.HandedOff.Count));
                    lane.HandedOff.RemoveRange(0, handedOff.Count);
                }
                else
                {
                    lane.ClaimWanted = false;
                }
            }

            if (done)
            {
                if (giveBack is { Count: > 0 })
                {
                    await ReleaseAsync(giveBack);
                }

                await previousRecord;
                return;
            }

            var result = BatchResult.Empty;
            try
            {
                if (handedOff is not null)
                {
                    var (sent, recorded) = await delivery.DeliverAsync(handedOff[^1].Endpoint, handedOff, previousRecord, stoppingToken);
                    result = sent;
                    previousRecord = WakeWhenRecordedAsync(recorded, sent.NextDue);
                }
                else
                {
                    // A claim finds what is due in the database (retries, released messages, a dead worker's leases) once
                    // this lane's records are in.
                    await previousRecord;
                    result = await delivery.DeliverBatchAsync(endpointId, stoppingToken);
                    if (result.NextDue is { } due)
                    {
                        WakeBy(due);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The claimed messages went back (or their lease ends): they stay pending, with no attempt recorded.
            }
            catch (Exception e)
            {
                logger.LogWarning("Delivery to webhook endpoint {EndpointId} failed unexpectedly ({Error}); trying again shortly", endpointId, e.Message);
                WakeBy(time.GetUtcNow().AddSeconds(1));
            }

            lock (gate)
            {
                // After a full claim more may be due; after messages given back, they are claimed again; once the endpoint
                // is throttled or disabled, what was handed over waits for a claim (which honours both).
                if ((handedOff is null && result.Claimed > 0) || result.Released)
                {
                    lane.ClaimWanted = true;
                }

                if (result.Paused && lane.HandedOff.Count > 0)
                {
                    giveBack = [.. lane.HandedOff];
                    lane.HandedOff.Clear();
                    lane.ClaimWanted = true;
                }
            }

            if (giveBack is not null)
            {
                // Only once the throttle or disabling is recorded, or a claim could take them before it is.
                await previousRecord;
                await ReleaseAsync(giveBack);
            }
        }
    }

    /// <summary>A retry or throttle is due once it is recorded: the dispatcher's wake-up waits for the record.</summary>
    private async Task WakeWhenRecordedAsync(Task recorded, DateTimeOffset? due)
    {
        await recorded;
        if (due is { } at)
        {
            WakeBy(at);
        }
    }

    private async Task ReleaseAsync(List<LeasedMessage> messages)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await delivery.ReleaseAsync(messages, timeout.Token);
        }
        catch (Exception e)
        {
            // Not lost: they are claimed once their lease ends.
            logger.LogWarning("Could not give back {Count} webhook messages ({Error}); they are sent when their lease ends", messages.Count, e.Message);
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
        /// <summary>New or due messages may be in the database: claim before stopping.</summary>
        public bool ClaimWanted { get; set; }

        /// <summary>Messages this process's fan-out leased to it, sent before any claim.</summary>
        public List<LeasedMessage> HandedOff { get; } = [];

        public Task? Task { get; set; }
    }
}
