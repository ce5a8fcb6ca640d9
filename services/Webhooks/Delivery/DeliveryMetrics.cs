using System.Diagnostics;
using System.Diagnostics.Metrics;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Webhooks.Delivery;

/// <summary>Where a delivery worker spends its time (claim, send, record), so a slow pipeline shows its slow stage.</summary>
public static class DeliveryMetrics
{
    public const string StageDurationName = "platform.webhooks.delivery.stage.duration";
    public const string DeliveredName = "platform.webhooks.delivery.messages";

    /// <summary>One measurement per batch for <c>claim</c> and <c>record</c>, one per POST for <c>send</c>.</summary>
    public static readonly Histogram<double> StageDuration = PlatformTelemetry.Meter.CreateHistogram(
        StageDurationName,
        "s",
        "Time a webhook delivery worker spent per stage (stage: claim, send, record)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 15] });

    /// <summary>Messages whose attempt was recorded (an attempt lost in a crash is not counted).</summary>
    public static readonly Counter<long> Messages = PlatformTelemetry.Meter.CreateCounter<long>(
        DeliveredName, "{message}", "Webhook messages attempted and recorded");

    public static void Stage(string stage, long startedTimestamp) =>
        StageDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
}
