using System.Net;
using System.Text.Json;
using Platform.Contracts.Authentication;
using Platform.Contracts.Clusters;
using Platform.Webhooks.Tests.Support;

namespace Platform.Webhooks.Tests.Integration;

/// <summary>Cluster and authentication events, published as the services publish them, reach the right endpoints signed.</summary>
[Collection(WebhooksServiceCollection.Name)]
public sealed class LifecycleDeliveryTests(WebhooksServiceFixture service)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Cluster_lifecycle_events_arrive_signed_in_the_standard_shape_for_the_owner_and_admins_only()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var alice = service.As("alice-lifecycle");
        var bob = service.As("bob-lifecycle");
        var admin = service.As("root-lifecycle", admin: true);
        var (aliceEndpoint, aliceSecret) = await alice.CreateEndpointAsync(receiver.Url("alice"));
        var (_, aliceRunningOnlySecret) = await alice.CreateEndpointAsync(receiver.Url("alice-running"), ["cluster.running"]);
        var (_, bobSecret) = await bob.CreateEndpointAsync(receiver.Url("bob"));
        var (_, adminSecret) = await admin.CreateEndpointAsync(receiver.Url("admin"));
        receiver.Trust("alice", aliceSecret);
        receiver.Trust("alice-running", aliceRunningOnlySecret);
        receiver.Trust("bob", bobSecret);
        receiver.Trust("admin", adminSecret);

        var now = DateTimeOffset.UtcNow;
        const string cluster = "lifecycle-c1";
        var ids = await service.Events.PublishAsync(
            new ClusterCreated(cluster, "alice-lifecycle", new Dictionary<string, string> { ["worker_cores"] = "2", ["environment"] = """{"TOKEN":"s3cr3t"}""" }, now),
            new ClusterRunning(cluster, "alice-lifecycle", "tls://127.0.0.1:9999", "http://127.0.0.1:8787", now),
            new ClusterScaled(cluster, "alice-lifecycle", 2, now),
            new ClusterStopping(cluster, "alice-lifecycle", now),
            new ClusterStopped(cluster, "alice-lifecycle", now));
        var failed = await service.Events.PublishAsync(
            new ClusterFailed("lifecycle-c2", "alice-lifecycle", "scheduler exited with code 1", now),
            new UserAuthenticated("alice-lifecycle", [], false, "simple", "127.0.0.1", now));

        await Eventually.TrueAsync(() => receiver.On("alice").Count >= 6 && receiver.On("admin").Count >= 7 && receiver.On("alice-running").Count >= 1, Patience, "every delivery");

        var types = new[] { "cluster.created", "cluster.running", "cluster.scaled", "cluster.stopping", "cluster.stopped", "cluster.failed" };
        var toAlice = receiver.On("alice");
        Assert.Equal(types.Order(), toAlice.Select(r => Type(r)).Order());
        Assert.All(toAlice, r => Assert.Equal([aliceSecret], r.VerifiedBy));
        Assert.Equal(ids.Concat(failed.Take(1)).Select(i => "msg_" + i.ToString("N")).Order(), toAlice.Select(r => r.Id).Order());
        Assert.DoesNotContain("s3cr3t", string.Concat(toAlice.Select(r => r.Body)), StringComparison.Ordinal);

        var running = JsonDocument.Parse(toAlice.Single(r => Type(r) == "cluster.running").Body).RootElement;
        Assert.Equal(["type", "timestamp", "data"], running.EnumerateObject().Select(p => p.Name));
        var data = running.GetProperty("data");
        Assert.Equal(cluster, data.GetProperty("name").GetString());
        Assert.Equal("alice-lifecycle", data.GetProperty("owner").GetString());
        Assert.Equal("RUNNING", data.GetProperty("status").GetString());
        Assert.Equal(2, data.GetProperty("options").GetProperty("worker_cores").GetInt32());
        Assert.Equal($"https://platform.example/clusters/{cluster}/", data.GetProperty("dashboardUrl").GetString());
        var scaled = JsonDocument.Parse(toAlice.Single(r => Type(r) == "cluster.scaled").Body).RootElement.GetProperty("data");
        Assert.Equal(2, scaled.GetProperty("workers").GetInt32());
        var failure = JsonDocument.Parse(toAlice.Single(r => Type(r) == "cluster.failed").Body).RootElement.GetProperty("data");
        Assert.Equal("FAILED", failure.GetProperty("status").GetString());
        Assert.Equal("scheduler exited with code 1", failure.GetProperty("failureReason").GetString());

        Assert.Equal(["cluster.running"], receiver.On("alice-running").Select(r => Type(r)));
        var toAdmin = receiver.On("admin");
        Assert.Contains(toAdmin, r => Type(r) == "user.authenticated");
        Assert.All(toAdmin, r => Assert.Equal([adminSecret], r.VerifiedBy));

        // Bob's endpoint saw none of it; the log of Alice's endpoint says every message succeeded.
        Assert.Empty(receiver.On("bob"));
        await Eventually.TrueAsync(async () => (await alice.MessagesAsync(aliceEndpoint, "succeeded")).Count == 6, Patience, "the delivery log");
        var attempts = await alice.AttemptsAsync(aliceEndpoint, toAlice[0].Id);
        Assert.Equal(200, Assert.Single(attempts).GetProperty("statusCode").GetInt32());
        Assert.Equal("ok", attempts[0].GetProperty("response").GetString());
    }

    [Fact]
    public async Task A_test_message_reaches_the_endpoint_with_the_same_id_the_api_returned()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var carol = service.As("carol-test");
        var (endpoint, secret) = await carol.CreateEndpointAsync(receiver.Url("carol"), ["cluster.failed"]);
        receiver.Trust("carol", secret);

        var queued = await carol.JsonAsync(HttpMethod.Post, $"/api/webhooks/endpoints/{endpoint}/test", expected: HttpStatusCode.Accepted);

        var received = (await Eventually.GetAsync(() => Task.FromResult(receiver.On("carol")), r => r.Count == 1, Patience, "the test message")).Single();
        Assert.Equal(queued.GetProperty("id").GetString(), received.Id);
        Assert.Equal("webhook.test", Type(received));
        Assert.Equal([secret], received.VerifiedBy);
    }

    private static string Type(ReceivedWebhook received) => JsonDocument.Parse(received.Body).RootElement.GetProperty("type").GetString()!;
}
