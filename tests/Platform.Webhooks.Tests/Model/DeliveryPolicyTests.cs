using Platform.Webhooks.Model;

namespace Platform.Webhooks.Tests.Model;

public sealed class DeliveryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DeliverySettings Settings = new();

    [Fact]
    public void A_2xx_answer_delivers()
    {
        var decision = DeliveryPolicy.Decide(new AttemptOutcome(204, null, null), 1, Now, null, Settings);
        Assert.Equal(DeliveryVerdict.Delivered, decision.Verdict);
    }

    [Fact]
    public void Failures_follow_the_specification_schedule_then_exhaust()
    {
        var expected = new[] { 5.0, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400 };
        for (var attempt = 1; attempt < 10; attempt++)
        {
            var decision = DeliveryPolicy.Decide(new AttemptOutcome(500, null, null), attempt, Now, Now, Settings);
            Assert.Equal(DeliveryVerdict.RetryLater, decision.Verdict);
            Assert.Equal(Now.AddSeconds(expected[attempt - 1]), decision.NextAttemptAt);
            Assert.Null(decision.ThrottledUntil);
        }

        Assert.Equal(DeliveryVerdict.Exhausted, DeliveryPolicy.Decide(new AttemptOutcome(500, null, null), 10, Now, Now, Settings).Verdict);
    }

    [Fact]
    public void A_410_disables_the_endpoint()
    {
        var decision = DeliveryPolicy.Decide(new AttemptOutcome(410, null, null), 1, Now, null, Settings);
        Assert.Equal(DeliveryVerdict.EndpointGone, decision.Verdict);
        Assert.NotNull(decision.DisableReason);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(504)]
    public void Throttling_answers_pause_the_endpoint(int status)
    {
        var decision = DeliveryPolicy.Decide(new AttemptOutcome(status, null, null), 1, Now, null, Settings);
        Assert.Equal(Now + Settings.ThrottleDelay, decision.ThrottledUntil);
        Assert.Equal(DeliveryVerdict.RetryLater, decision.Verdict);
    }

    [Fact]
    public void Retry_after_pushes_the_next_attempt_later_but_never_earlier_and_is_capped()
    {
        var later = DeliveryPolicy.Decide(new AttemptOutcome(503, TimeSpan.FromMinutes(2), null), 1, Now, null, Settings);
        Assert.Equal(Now.AddMinutes(2), later.NextAttemptAt);
        Assert.Equal(Now.AddMinutes(2), later.ThrottledUntil);

        var sooner = DeliveryPolicy.Decide(new AttemptOutcome(429, TimeSpan.FromSeconds(1), null), 2, Now, null, Settings);
        Assert.Equal(Now.AddMinutes(5), sooner.NextAttemptAt);

        var huge = DeliveryPolicy.Decide(new AttemptOutcome(429, TimeSpan.FromDays(30), null), 1, Now, null, Settings);
        Assert.Equal(Now + Settings.MaxRetryAfter, huge.NextAttemptAt);
    }

    [Fact]
    public void An_endpoint_failing_for_five_days_is_disabled_and_says_why()
    {
        var young = DeliveryPolicy.Decide(new AttemptOutcome(null, null, "Request failed: ConnectionError"), 3, Now, Now.AddDays(-4.9), Settings);
        Assert.Null(young.DisableReason);

        var old = DeliveryPolicy.Decide(new AttemptOutcome(null, null, "Request failed: ConnectionError"), 3, Now, Now.AddDays(-5), Settings);
        Assert.Contains("ConnectionError", old.DisableReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_schedule_replaces_the_default()
    {
        var settings = new DeliverySettings { RetrySchedule = [TimeSpan.Zero, TimeSpan.FromSeconds(1)] };
        Assert.Equal(Now.AddSeconds(1), DeliveryPolicy.Decide(new AttemptOutcome(500, null, null), 1, Now, null, settings).NextAttemptAt);
        Assert.Equal(DeliveryVerdict.Exhausted, DeliveryPolicy.Decide(new AttemptOutcome(500, null, null), 2, Now, null, settings).Verdict);
    }
}
