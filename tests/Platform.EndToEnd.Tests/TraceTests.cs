using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>One user action is one trace: a cluster created through the public port, read back from the dashboard's telemetry API.</summary>
[Collection(TracedSystemCollection.Name)]
public sealed class TraceTests(TracedSystemFixture system, ITestOutputHelper log)
{
    private static readonly string[] Services = ["proxy", "auth", "clusters", "plugins"];

    [Fact]
    public async Task Creating_a_cluster_through_the_public_port_is_one_trace_holding_Proxy_Auth_and_Clusters_spans()
    {
        var traceId = await system.ClusterCreationTraceIdAsync();

        // Services export in batches (every few seconds), so the trace fills in after the response.
        var spans = await Eventually.GetAsync(
            () => system.Telemetry.TraceAsync(traceId),
            spans => Services.All(s => spans.Any(span => span.Service == s)),
            TimeSpan.FromSeconds(60),
            $"trace {traceId} to hold spans of the Proxy, Auth, Clusters and Plugins");
        log.WriteLine(string.Join('\n', spans.Select(s => s.ToString())));

        Assert.All(spans, span => Assert.Equal(traceId, span.TraceId));
        // One waterfall: every span but the Proxy's server span hangs under another span of the same trace.
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var roots = spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).ToList();
        Assert.True(roots.Count == 1 && roots[0].Service == "proxy", $"Expected one root, the Proxy's; found: {string.Join(", ", roots)}");
    }
}
