using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>
/// How a batch went: messages taken, the earliest time this endpoint has work again (retry or throttle), whether it is
/// paused now (throttled or disabled: messages handed to its lane must wait for a claim), and whether some were given back.
/// </summary>
public sealed record BatchResult(int Claimed, DateTimeOffset? NextDue, bool Paused = false, bool Released = false)
{
    public static readonly BatchResult Empty = new(0, null);
}

/// <summary>
/// Delivers one batch of messages to one endpoint: claimed (a lease, one statement) or handed over leased by the fan-out
/// of this process, sent concurrently within the per-endpoint limit, recorded (one statement). No transaction is open
/// while it sends. Another worker never sends a leased message; a worker that dies mid-batch leaves its messages to be
/// sent again, same webhook-id, when the lease ends.
/// </summary>
public sealed class EndpointDelivery(
    DeliveryStore store,
    WebhookSender sender,
    EndpointSecrets secrets,
    IOptions<WebhookSettings> options,
    TimeProvider time,
    ILogger<EndpointDelivery> logger)
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(10);

    public async Task<BatchResult> DeliverBatchAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        var settings = options.Value.Delivery;
        var claimStarted = Stopwatch.GetTimestamp();
        // Measured from before the claim on this clock: the lease can only end later than this worker believes.
        var leaseEnds = time.GetUtcNow() + settings.Lease;
        var claim = await store.ClaimAsync(endpointId, Math.Max(1, settings.BatchSize), settings.Lease, cancellationToken);
        DeliveryMetrics.Stage("claim", claimStarted);

        var endpoint = claim.Endpoint;
        if (endpoint is null || !endpoint.Enabled)
        {
            return BatchResult.Empty;
        }

        if (claim.Messages.Count == 0)
        {
            return endpoint.ThrottledUntil > time.GetUtcNow() ? new BatchResult(0, endpoint.ThrottledUntil) : BatchResult.Empty;
        }

        var (result, recorded) = await DeliverAsync(
            endpoint,
            [.. claim.Messages.Select(m => new LeasedMessage(endpoint, m, Encoding.UTF8.GetBytes(m.Payload), claim.LeasedUntil, leaseEnds))],
            Task.CompletedTask,
            cancellationToken);
        await recorded;
        return result;
    }

    /// <summary>
    /// Sends messages of one endpoint leased to this worker, in their order, at most the per-endpoint limit at a time, and
    /// starts recording the attempts once <paramref name="previousRecord"/> (this endpoint's last) is done, so an endpoint's
    /// records apply in order while its next batch is already being sent. <paramref name="endpoint"/> is the endpoint as
    /// last read. Returns how the batch went and the record, which never throws.
    /// </summary>
    public async Task<(BatchResult Result, Task Recorded)> DeliverAsync(
        WebhookEndpoint endpoint, IReadOnlyList<LeasedMessage> messages, Task previousRecord, CancellationToken cancellationToken)
    {
        var settings = options.Value.Delivery;
        var now = time.GetUtcNow();
        var keys = SigningKeys(endpoint, now);
        var results = new AttemptResult?[messages.Count];
        try
        {
            // A batch larger than the concurrency limit shares one claim and one record among more deliveries.
            await Parallel.ForEachAsync(
                Enumerable.Range(0, messages.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrencyPerEndpoint), CancellationToken = cancellationToken },
                async (i, token) =>
                {
                    // A worker stalled this long might still be sending when the lease ends and another worker sends too.
                    if (time.GetUtcNow() + settings.Timeout <= messages[i].LeaseEnds)
                    {
                        results[i] = await sender.SendAsync(endpoint.Url, messages[i].Message.WebhookId, messages[i].Body, keys, token);
                    }
                });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the batch goes back now rather than at the lease's end (a message sent meanwhile is sent again, same id).
            using var release = new CancellationTokenSource(ReleaseTimeout);
            await store.ReleaseAsync([.. messages.Select(m => (m.Message.Seq, m.LeasedUntil))], release.Token);
            throw;
        }

        now = time.GetUtcNow();
        var effect = new EndpointEffect(endpoint.FailingSince);
        var attempts = new List<RecordedAttempt>(messages.Count);
        var unsent = new List<(long, DateTimeOffset)>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i].Message;
            if (results[i] is not { } result)
            {
                unsent.Add((message.Seq, messages[i].LeasedUntil));
                continue;
            }

            var decision = DeliveryPolicy.Decide(result.Outcome, message.RoundAttempts + 1, now, endpoint.FailingSince ?? effect.FailingSince, settings);
            effect.Add(result, decision);
            attempts.Add(new RecordedAttempt(
                message.Seq, messages[i].LeasedUntil, result.AttemptedAt, result.Outcome.StatusCode, result.LatencyMilliseconds, result.ResponseBody,
                result.Outcome.Error, Status(decision), decision.NextAttemptAt));
        }

        var change = new EndpointChange(endpoint.Id, effect.AnyDelivered, effect.FailingSince, effect.ThrottledUntil, effect.DisableReason);
        var batch = new BatchResult(messages.Count, Earliest(effect.NextDue, effect.ThrottledUntil), effect.ThrottledUntil is not null || effect.DisableReason is not null, unsent.Count > 0);
        return (batch, RecordAsync(endpoint, attempts, change, unsent, previousRecord));
    }

    private async Task RecordAsync(WebhookEndpoint endpoint, List<RecordedAttempt> attempts, EndpointChange change, List<(long, DateTimeOffset)> unsent, Task previousRecord)
    {
        await previousRecord;
        // Not cancelled by a stop: what was sent is recorded if the database allows, rather than sent again after the lease.
        using var timeout = new CancellationTokenSource(RecordTimeout);
        var recordStarted = Stopwatch.GetTimestamp();
        try
        {
            if (attempts.Count > 0)
            {
                await store.RecordAsync(attempts, change, timeout.Token);
            }

            if (unsent.Count > 0)
            {
                logger.LogWarning("{Count} messages to webhook endpoint {EndpointId} were not sent before their lease ran short; they are sent again", unsent.Count, endpoint.Id);
                await store.ReleaseAsync(unsent, timeout.Token);
            }
        }
        catch (Exception e)
        {
            // Not lost: unrecorded, the messages are sent again (same webhook-id) once their lease ends.
            logger.LogWarning("Could not record {Count} attempts to webhook endpoint {EndpointId} ({Error}); they are sent again when their lease ends", attempts.Count, endpoint.Id, e.Message);
            return;
        }

        DeliveryMetrics.Stage("record", recordStarted);
        DeliveryMetrics.Messages.Add(attempts.Count);
        if (change.DisableReason is { } reason)
        {
            logger.LogWarning("Disabled webhook endpoint {EndpointId} of {Owner}: {Reason}", endpoint.Id, endpoint.Owner, reason);
        }
    }

    /// <summary>Gives messages handed to a lane that will not send them back to any worker's claim, at once.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<LeasedMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count > 0)
        {
            await store.ReleaseAsync([.. messages.Select(m => (m.Message.Seq, m.LeasedUntil))], cancellationToken);
        }
    }

    private List<byte[]> SigningKeys(WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var keys = new List<byte[]> { WebhookSecret.KeyBytes(secrets.Unseal(endpoint.SealedSecret)) };
        // A previous secret the sealing key no longer opens (it was changed) stops signing; the current one still signs.
        if (endpoint.SealedPreviousSecret is { } previous && endpoint.PreviousSecretExpiresAt > now && secrets.TryUnseal(previous) is { } readable)
        {
            keys.Add(WebhookSecret.KeyBytes(readable));
        }

        return keys;
    }

    private static string Status(DeliveryDecision decision) => decision.Verdict switch
    {
        DeliveryVerdict.Delivered => MessageStatus.Succeeded,
        DeliveryVerdict.RetryLater => MessageStatus.Pending,
        _ => MessageStatus.Failed,
    };

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>What a batch's attempts mean for their endpoint.</summary>
    private sealed class EndpointEffect(DateTimeOffset? failingSince)
    {
        public DateTimeOffset? FailingSince { get; private set; } = failingSince;
        public bool AnyDelivered { get; private set; }
        public DateTimeOffset? ThrottledUntil { get; private set; }
        public DateTimeOffset? NextDue { get; private set; }
        public string? DisableReason { get; private set; }

        public void Add(AttemptResult result, DeliveryDecision decision)
        {
            if (decision.Verdict == DeliveryVerdict.Delivered)
            {
                AnyDelivered = true;
                return;
            }

            FailingSince ??= result.AttemptedAt;
            DisableReason ??= decision.DisableReason;
            if (decision.ThrottledUntil is { } until && (ThrottledUntil is null || until > ThrottledUntil))
            {
                ThrottledUntil = until;
            }

            if (decision.NextAttemptAt is { } next && (NextDue is null || next < NextDue))
            {
                NextDue = next;
            }
        }
    }
}
