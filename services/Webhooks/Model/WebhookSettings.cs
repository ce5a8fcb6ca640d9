namespace Platform.Webhooks.Model;

/// <summary>The <c>Webhooks</c> configuration section.</summary>
public sealed class WebhookSettings
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Comma-separated host names an operator trusts: reachable over plain http and allowed to resolve to loopback or
    /// private addresses (the AppHost's <c>webhooks-allowed-hosts</c> parameter). Empty: public https destinations only.
    /// </summary>
    public string AllowedHosts { get; set; } = "";

    /// <summary>The platform's public address (the Proxy), for dashboard URLs in payloads; unset: a path relative to it.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// How long the delivery log keeps a message (and its attempts) once it has succeeded or failed for good; pending
    /// ones are kept whatever their age. A Pi's disk holds a few weeks of a busy platform's log.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    public DeliverySettings Delivery { get; set; } = new();
}

public sealed class DeliverySettings
{
    /// <summary>Standard Webhooks' example schedule: the delay before each attempt, the first one immediate.</summary>
    public static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Deliveries in flight to one endpoint from one replica; a slow endpoint holds only its own slots.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 8;

    /// <summary>Due messages one lane claims at a time (sent at most <see cref="MaxConcurrencyPerEndpoint"/> at once, recorded in one commit).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Endpoints served at once by one replica (each holds a database connection while it delivers).</summary>
    public int MaxActiveEndpoints { get; set; } = 32;

    /// <summary>Null keeps <see cref="DefaultRetrySchedule"/>; a configured list replaces it (the binder would append to a default list).</summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long an endpoint answering 429, 502 or 504 without Retry-After is left alone.</summary>
    public TimeSpan ThrottleDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest Retry-After honoured; a receiver cannot park its messages for longer.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A safety net, not the wake-up path: messages whose lock a dead replica released raise no notification,
    /// so the table is swept this often.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a claimed batch is a worker's alone: every send of the batch (at most the concurrency limit at once, each
    /// within the timeout) and one more timeout for the claim and the record. A worker that died is replaced after this.
    /// </summary>
    public TimeSpan Lease => Timeout * (((Math.Max(1, BatchSize) - 1) / Math.Max(1, MaxConcurrencyPerEndpoint)) + 2);

    public IReadOnlyList<TimeSpan> Schedule => RetrySchedule is { Length: > 0 } configured ? configured : DefaultRetrySchedule;
}
