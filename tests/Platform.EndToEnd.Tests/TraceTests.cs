using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>One user action is one trace: a cluster created through the public port, read back from the dashboard's telemetry API.</summary>
[Collection(SharedSystemCollection.Name)]
public sealed class TraceTests(SharedSystemFixture system, ITestOutputHelper log)
{
    private static readonly string[] Services = ["proxy", "auth", "clusters", "plugins"];

    [Fact]
    public async Task Creating_a_cluster_through_the_public_port_is_one_trace_from_the_Proxy_through_Auth_Clusters_Plugins_the_outbox_relay_the_bus_and_back_to_the_Proxy()
    {
        var traceId = system.ClusterCreationTraceId;

        // Services export in batches (every few seconds), so the trace fills in after the response.
        var spans = await Eventually.GetAsync(
            () => system.Telemetry.TraceAsync(traceId),
            // Complete means every span's parent has arrived too: a consumer's span can be exported before the
            // producer's publish span it hangs under, and would look like a second root until then.
            spans => Services.All(s => spans.Any(span => span.Service == s)) && spans.Any(IsProxyConsumingClusterRunning) && Roots(spans).Count == 1,
            TimeSpan.FromSeconds(90),
            $"trace {traceId} to hold spans of the Proxy, Auth, Clusters and Plugins, and the Proxy's consumer of ClusterRunning, with every parent span present");
        log.WriteLine(string.Join('\n', spans.Select(s => s.ToString())));

        Assert.All(spans, span => Assert.Equal(traceId, span.TraceId));
        // The state change leaves Clusters through its outbox: the relay, then the bus publish, in the same trace.
        Assert.Contains(spans, s => s.Service == "clusters" && s.Name == "outbox relay ClusterCreated");
        Assert.Contains(spans, s => s.Service == "clusters" && s.Kind == TelemetrySpan.ProducerKind && s.Name.Contains("ClusterCreated", StringComparison.Ordinal));

        // One waterfall: every span but the Proxy's server span hangs under another span of the same trace.
        var roots = Roots(spans);
        Assert.True(roots.Count == 1 && roots[0].Service == "proxy" && roots[0].Kind == TelemetrySpan.ServerKind, $"Expected one root, the Proxy's server span; found: {string.Join(", ", roots)}");
    }

    private static List<TelemetrySpan> Roots(IReadOnlyCollection<TelemetrySpan> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        return [.. spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId))];
    }

    private static bool IsProxyConsumingClusterRunning(TelemetrySpan span) =>
        span.Service == "proxy" && span.Kind == TelemetrySpan.ConsumerKind && span.Name.Contains("cluster-running", StringComparison.Ordinal);
}
