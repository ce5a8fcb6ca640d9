using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Webhooks.Infrastructure;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Delivery;

/// <summary>How a batch went: messages claimed, and the earliest time this endpoint has work again (retry or throttle).</summary>
public sealed record BatchResult(int Claimed, DateTimeOffset? NextDue)
{
    public static readonly BatchResult Empty = new(0, null);
}

/// <summary>
/// Delivers one batch of due messages to one endpoint: claim (a lease, one statement), send concurrently within the
/// per-endpoint limit, record (one statement). No transaction is open while it sends. Another worker never sends a
/// leased message; a worker that dies mid-batch leaves its messages to be sent again, same webhook-id, when the lease ends.
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

    public async Task<BatchResult> DeliverBatchAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        var settings = options.Value.Delivery;
        var claimStarted = Stopwatch.GetTimestamp();
        // Measured from before the claim on this clock: the lease can only end later than this worker believes.
        var leaseEnds = time.GetUtcNow() + settings.Lease;
        var claim = await store.ClaimAsync(endpointId, Math.Max(1, settings.BatchSize), settings.Lease, cancellationToken);
        DeliveryMetrics.Stage("claim", claimStarted);

        var now = time.GetUtcNow();
        var endpoint = claim.Endpoint;
        if (endpoint is null || !endpoint.Enabled)
        {
            return BatchResult.Empty;
        }

        if (claim.Messages.Count == 0)
        {
            return endpoint.ThrottledUntil > now ? new BatchResult(0, endpoint.ThrottledUntil) : BatchResult.Empty;
        }

        var messages = claim.Messages;
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
                    if (time.GetUtcNow() + settings.Timeout <= leaseEnds)
                    {
                        results[i] = await sender.SendAsync(endpoint.Url, messages[i].WebhookId, Encoding.UTF8.GetBytes(messages[i].Payload), keys, token);
                    }
                });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the batch goes back now rather than at the lease's end (a message sent meanwhile is sent again, same id).
            using var release = new CancellationTokenSource(ReleaseTimeout);
            await store.ReleaseAsync(messages.Select(m => m.Seq), claim.LeasedUntil, release.Token);
            throw;
        }

        now = time.GetUtcNow();
        var effect = new EndpointEffect(endpoint.FailingSince);
        var attempts = new List<RecordedAttempt>(messages.Count);
        var unsent = new List<long>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (results[i] is not { } result)
            {
                unsent.Add(messages[i].Seq);
                continue;
            }

            var decision = DeliveryPolicy.Decide(result.Outcome, messages[i].RoundAttempts + 1, now, endpoint.FailingSince ?? effect.FailingSince, settings);
            effect.Add(result, decision);
            attempts.Add(new RecordedAttempt(
                messages[i].Seq, result.AttemptedAt, result.Outcome.StatusCode, result.LatencyMilliseconds, result.ResponseBody, result.Outcome.Error, Status(decision), decision.NextAttemptAt));
        }

        var recordStarted = Stopwatch.GetTimestamp();
        if (attempts.Count > 0)
        {
            var change = new EndpointChange(endpoint.Id, effect.AnyDelivered, effect.FailingSince, effect.ThrottledUntil, effect.DisableReason);
            await store.RecordAsync(attempts, claim.LeasedUntil, change, cancellationToken);
        }

        if (unsent.Count > 0)
        {
            logger.LogWarning("{Count} messages to webhook endpoint {EndpointId} were not sent before their lease ran short; they are sent again", unsent.Count, endpoint.Id);
            await store.ReleaseAsync(unsent, claim.LeasedUntil, cancellationToken);
        }

        DeliveryMetrics.Stage("record", recordStarted);
        DeliveryMetrics.Messages.Add(attempts.Count);

        if (effect.DisableReason is { } reason)
        {
            logger.LogWarning("Disabled webhook endpoint {EndpointId} of {Owner}: {Reason}", endpoint.Id, endpoint.Owner, reason);
        }

        return new BatchResult(messages.Count, Earliest(effect.NextDue, effect.ThrottledUntil));
    }

    private List<byte[]> SigningKeys(WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var keys = new List<byte[]> { WebhookSecret.KeyBytes(secrets.Unseal(endpoint.SealedSecret)) };
        if (endpoint.SealedPreviousSecret is { } previous && endpoint.PreviousSecretExpiresAt > now)
        {
            keys.Add(WebhookSecret.KeyBytes(secrets.Unseal(previous)));
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
