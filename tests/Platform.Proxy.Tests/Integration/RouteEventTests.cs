using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Clusters;
using Platform.Proxy.Routing;
using Platform.Proxy.Tests.Support;
using Platform.Testing;

namespace Platform.Proxy.Tests.Integration;

[Collection(ProxyCollection.Name)]
public sealed class RouteEventTests(InfrastructureFixture infrastructure)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Running_adds_routes_and_stopped_or_failed_remove_them_over_the_real_bus()
    {
        await using var scheduler = new TlsEchoServer();
        await using var proxy = ProxyServiceHost.Start(infrastructure);
        var bus = proxy.Services.GetRequiredService<IBus>();
        var a = $"a{Guid.NewGuid():N}"[..12];
        var b = $"b{Guid.NewGuid():N}"[..12];

        await bus.Publish(new ClusterRunning(a, "alice", scheduler.Address, "http://127.0.0.1:1", DateTimeOffset.UtcNow));
        await bus.Publish(new ClusterRunning(b, "bob", scheduler.Address, "", DateTimeOffset.UtcNow));
        await Eventually(() => proxy.Routes.TryGet(a, out _) && proxy.Routes.TryGet(b, out _));

        await using (var tls = await TlsClient.ConnectAsync(proxy.Port, $"daskgateway-{a}"))
        {
            await tls.WriteAsync("x"u8.ToArray());
            Assert.Equal('x', tls.ReadByte());
        }

        // Redelivery of the same event changes nothing.
        await bus.Publish(new ClusterRunning(a, "alice", scheduler.Address, "http://127.0.0.1:1", DateTimeOffset.UtcNow.AddSeconds(-1)));
        await bus.Publish(new ClusterStopped(a, "alice", DateTimeOffset.UtcNow));
        await bus.Publish(new ClusterFailed(b, "bob", "scheduler died", DateTimeOffset.UtcNow));
        await Eventually(() => !proxy.Routes.TryGet(a, out _) && !proxy.Routes.TryGet(b, out _));

        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(proxy.Port, $"daskgateway-{a}"));
    }

    [Fact]
    public async Task A_restarted_proxy_rebuilds_its_table_from_clusters()
    {
        var running = new List<object>();
        await using var clusters = new StandInBackend(app => app.MapGet(RouteTableSync.RoutesPath, (HttpContext context) =>
            context.Request.Headers["X-Proxy-Token"] == ProxyServiceHost.ProxyToken
                ? Results.Json(new { routes = running })
                : Results.StatusCode(401)));
        var settings = new Dictionary<string, string?> { ["services:clusters:http:0"] = clusters.Address.ToString() };
        running.Add(new { name = "before", owner = "alice", schedulerAddress = "tls://127.0.0.1:4001", dashboardAddress = "http://127.0.0.1:4002" });

        await using (var first = ProxyServiceHost.Start(infrastructure, settings))
        {
            await Eventually(() => first.Routes.TryGet("before", out _));
        }

        // While no proxy ran, one cluster stopped and another started: the events are gone with the old queues.
        running.Clear();
        running.Add(new { name = "after", owner = "bob", schedulerAddress = "tls://127.0.0.1:4003", dashboardAddress = "" });
        await using var second = ProxyServiceHost.Start(infrastructure, settings);

        await Eventually(() => second.Routes.TryGet("after", out _));
        Assert.False(second.Routes.TryGet("before", out _));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
