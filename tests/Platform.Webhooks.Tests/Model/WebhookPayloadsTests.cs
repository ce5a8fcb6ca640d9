using System.Text;
using System.Text.Json;
using Platform.Webhooks.Model;

namespace Platform.Webhooks.Tests.Model;

public sealed class WebhookPayloadsTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_cluster_payload_has_the_standard_shape_and_the_whole_cluster()
    {
        var options = WebhookPayloads.OptionsJson(new Dictionary<string, string> { ["worker_cores"] = "2", ["description"] = "demo", ["spill_to_disk"] = "true" });
        var payload = WebhookPayloads.Cluster("cluster.running", At, new ClusterSnapshot("c1", "alice", "RUNNING", 3, options, "http://127.0.0.1:8787", null), "https://platform.example/");

        using var json = JsonDocument.Parse(payload);
        var root = json.RootElement;
        Assert.Equal("cluster.running", root.GetProperty("type").GetString());
        Assert.Equal(At, root.GetProperty("timestamp").GetDateTimeOffset());
        var data = root.GetProperty("data");
        Assert.Equal("c1", data.GetProperty("name").GetString());
        Assert.Equal("alice", data.GetProperty("owner").GetString());
        Assert.Equal("RUNNING", data.GetProperty("status").GetString());
        Assert.Equal(3, data.GetProperty("workers").GetInt32());
        Assert.Equal(2, data.GetProperty("options").GetProperty("worker_cores").GetInt32());
        Assert.Equal("demo", data.GetProperty("options").GetProperty("description").GetString());
        Assert.True(data.GetProperty("options").GetProperty("spill_to_disk").GetBoolean());
        Assert.Equal("https://platform.example/clusters/c1/", data.GetProperty("dashboardUrl").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("failureReason").ValueKind);
    }

    [Fact]
    public void Environment_values_never_leave_only_their_names_do()
    {
        var options = WebhookPayloads.OptionsJson(new Dictionary<string, string> { ["environment"] = """{"AWS_SECRET_ACCESS_KEY":"hunter2"}""" });
        var payload = WebhookPayloads.Cluster("cluster.created", At, new ClusterSnapshot("c1", "alice", "PENDING", 0, options, null, null), null);
        Assert.DoesNotContain("hunter2", payload, StringComparison.Ordinal);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", payload, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_stays_under_20_kB_whatever_the_reason_and_options()
    {
        var huge = WebhookPayloads.OptionsJson(Enumerable.Range(0, 400).ToDictionary(i => $"option_{i}", _ => new string('x', 100)));
        var payload = WebhookPayloads.Cluster("cluster.failed", At, new ClusterSnapshot("c1", "alice", "FAILED", 0, huge, null, new string('r', 100_000)), null);

        Assert.True(Encoding.UTF8.GetByteCount(payload) < 20 * 1024);
        using var json = JsonDocument.Parse(payload);
        Assert.True(json.RootElement.GetProperty("data").GetProperty("optionsTruncated").GetBoolean());
        Assert.EndsWith("rrrr", json.RootElement.GetProperty("data").GetProperty("failureReason").GetString(), StringComparison.Ordinal);
    }
}
