using System.Net;

namespace Platform.Webhooks.Model;

/// <summary>What one attempt produced: a status code (null when no response came) and the receiver's Retry-After.</summary>
public sealed record AttemptOutcome(int? StatusCode, TimeSpan? RetryAfter, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

public enum DeliveryVerdict
{
    Delivered,
    RetryLater,
    Exhausted,
    EndpointGone,
}

/// <summary>What to do after an attempt: the message's fate, and what happens to its endpoint.</summary>
public sealed record DeliveryDecision(
    DeliveryVerdict Verdict,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? ThrottledUntil,
    string? DisableReason);

/// <summary>
/// Standard Webhooks' rules for a delivery attempt: 2xx delivers; 410 disables the endpoint; anything else retries on
/// the schedule (Retry-After can only push the next attempt later); 429, 502 and 504 also throttle the endpoint; an
/// endpoint failing for <see cref="DeliverySettings.DisableAfter"/> is disabled.
/// </summary>
public static class DeliveryPolicy
{
    /// <param name="roundAttempts">Attempts of this message in the current round, the one just made included.</param>
    /// <param name="failingSince">When the endpoint started failing, before this attempt (null: it was healthy).</param>
    public static DeliveryDecision Decide(AttemptOutcome outcome, int roundAttempts, DateTimeOffset now, DateTimeOffset? failingSince, DeliverySettings settings)
    {
        if (outcome.Succeeded)
        {
            return new DeliveryDecision(DeliveryVerdict.Delivered, null, null, null);
        }

        if (outcome.StatusCode == (int)HttpStatusCode.Gone)
        {
            return new DeliveryDecision(DeliveryVerdict.EndpointGone, null, null, "The endpoint answered 410 Gone");
        }

        var retryAfter = outcome.RetryAfter is { } asked ? Clamp(asked, settings.MaxRetryAfter) : (TimeSpan?)null;
        DateTimeOffset? throttledUntil = outcome.StatusCode is 429 or 502 or 504 || retryAfter is not null
            ? now + (retryAfter ?? settings.ThrottleDelay)
            : null;

        var since = failingSince ?? now;
        var disableReason = now - since >= settings.DisableAfter
            ? $"Every delivery failed since {since:u} (last: {Describe(outcome)})"
            : null;

        var schedule = settings.Schedule;
        if (roundAttempts >= schedule.Count)
        {
            return new DeliveryDecision(DeliveryVerdict.Exhausted, null, throttledUntil, disableReason);
        }

        var delay = schedule[roundAttempts];
        if (retryAfter is { } later && later > delay)
        {
            delay = later;
        }

        return new DeliveryDecision(DeliveryVerdict.RetryLater, now + delay, throttledUntil, disableReason);
    }

    public static string Describe(AttemptOutcome outcome) =>
        outcome.StatusCode is { } status ? $"HTTP {status}" : outcome.Error ?? "no response";

    private static TimeSpan Clamp(TimeSpan value, TimeSpan maximum) =>
        value < TimeSpan.Zero ? TimeSpan.Zero : value > maximum ? maximum : value;
}
