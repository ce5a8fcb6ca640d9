using Platform.Contracts.Clusters;
using Platform.Plugins.Tests.Support;

namespace Platform.Plugins.Tests.Integration;

public sealed class DurabilityTests(PluginsServiceFixture service) : IClassFixture<PluginsServiceFixture>
{
    [Fact]
    public async Task Events_published_while_the_service_is_down_are_handled_once_each_after_it_restarts()
    {
        await service.EnsureEnabledAsync("chaos", PluginPackages.ChaosAsync);
        var clusters = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var labels = new Dictionary<string, string> { ["chaos"] = "count" };

        // The service's queue outlives it (durable, named after the service), as a real deployment's does.
        await service.StopAsync();
        await using (var bus = await TestBus.StartAsync(service.Infrastructure.RabbitMq.ConnectionString))
        {
            foreach (var cluster in clusters)
            {
                await bus.PublishAsync(new ClusterRunning(cluster, "alice", "tls://x:1", "http://x:2", DateTimeOffset.UtcNow, labels));
            }
        }

        service.Start();

        foreach (var cluster in clusters)
        {
            await service.WaitForRunsAsync("chaos", cluster, r => r.Any(x => x.GetProperty("state").GetString() == "succeeded"), $"the run for {cluster}");
            var count = await service.JsonAsync(HttpMethod.Get, $"/api/plugins/chaos/state/count%2F{cluster}");
            Assert.Equal("1", count.GetProperty($"count/{cluster}/running").GetString());
        }
    }

    [Fact]
    public async Task A_redelivered_event_starts_no_second_run()
    {
        await service.EnsureEnabledAsync("chaos", PluginPackages.ChaosAsync);
        var cluster = Guid.NewGuid().ToString("N");
        var messageId = Guid.NewGuid();
        var running = new ClusterRunning(cluster, "alice", "tls://x:1", "http://x:2", DateTimeOffset.UtcNow, new Dictionary<string, string> { ["chaos"] = "count" });
        await using (var bus = await TestBus.StartAsync(service.Infrastructure.RabbitMq.ConnectionString))
        {
            await bus.PublishAsync(running, messageId);
            await bus.PublishAsync(running, messageId);
        }

        await service.WaitForRunsAsync("chaos", cluster, r => r.Any(x => x.GetProperty("state").GetString() == "succeeded"), "the run");
        await Task.Delay(1000);
        Assert.Single((await service.RunsAsync("chaos", cluster)).GetProperty("runs").EnumerateArray());
    }
}
