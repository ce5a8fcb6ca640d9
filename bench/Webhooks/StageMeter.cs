extern alias webhooks;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using webhooks::Platform.Webhooks.Delivery;

/// <summary>
/// Sums the delivery worker's stage timings (claim, send, record) from its own instruments, so a round can say where
/// the worker's time went per message.
/// </summary>
internal sealed class StageMeter : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, (double Seconds, long Count)> stages = new();
    private long messages;

    public StageMeter()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is DeliveryMetrics.StageDurationName or DeliveryMetrics.DeliveredName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "stage" && tag.Value is string stage)
                {
                    stages.AddOrUpdate(stage, (value, 1), (_, s) => (s.Seconds + value, s.Count + 1));
                }
            }
        });
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref messages, value));
        listener.Start();
    }

    public Snapshot Take() => new(new Dictionary<string, (double, long)>(stages), Interlocked.Read(ref messages));

    /// <summary>Per stage between two snapshots: mean duration of one measurement, and worker time per message.</summary>
    public static string Describe(Snapshot before, Snapshot after)
    {
        var delivered = after.Messages - before.Messages;
        var parts = new List<string> { $"{delivered} messages" };
        foreach (var stage in new[] { "claim", "send", "record" })
        {
            var (seconds, count) = after.Stages.GetValueOrDefault(stage);
            var (seconds0, count0) = before.Stages.GetValueOrDefault(stage);
            var n = count - count0;
            var total = seconds - seconds0;
            parts.Add(n == 0 ? $"{stage} -" : $"{stage} {n}x mean {total * 1e3 / n:0.00} ms = {total * 1e6 / Math.Max(1, delivered):0} us/message");
        }

        return string.Join("; ", parts);
    }

    public void Dispose() => listener.Dispose();

    internal sealed record Snapshot(Dictionary<string, (double Seconds, long Count)> Stages, long Messages);
}
