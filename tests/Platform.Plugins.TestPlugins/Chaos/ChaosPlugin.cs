using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Handlers;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Validation;
using Platform.Plugins.TestPlugins.Chaos;
using Platform.Plugins.TestPlugins.Greeting;

[assembly: PlatformPlugin(typeof(ChaosPlugin))]

namespace Platform.Plugins.TestPlugins.Chaos;

/// <summary>
/// Misbehaves on request, by the cluster label <c>chaos</c>: <c>fail</c> throws (3 attempts, 300 ms backoff),
/// <c>hang</c> ignores its token (500 ms timeout, 1 attempt), <c>permanent</c> gives up, <c>slow</c> takes 2 s
/// whatever its token says, <c>count</c> counts its runs per cluster. Its validator hangs for <c>chaos=hang-validator</c>.
/// </summary>
public sealed class ChaosPlugin : IPlugin
{
    public string Name => "chaos";

    public Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        var state = context.State;
        context.OnClusterEvent(
            "fails",
            ClusterEvents.Running,
            ClusterFilter.Any.WithLabel("chaos", "fail"),
            (cluster, token) => throw new InvalidOperationException($"chaos refuses {cluster.ClusterName} (attempt {cluster.Attempt})"),
            new HandlerOptions { MaxAttempts = 3, Backoff = TimeSpan.FromMilliseconds(300) });
        context.OnClusterEvent(
            "hangs",
            ClusterEvents.Running,
            ClusterFilter.Any.WithLabel("chaos", "hang"),
            (cluster, token) => Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None),
            new HandlerOptions { Timeout = TimeSpan.FromMilliseconds(500), MaxAttempts = 1 });
        context.OnClusterEvent(
            "gives-up",
            ClusterEvents.Running,
            ClusterFilter.Any.WithLabel("chaos", "permanent"),
            (cluster, token) => throw new PermanentHandlerException("this cluster can never be handled"));
        context.OnClusterEvent(
            "slow",
            ClusterEvents.Running,
            ClusterFilter.Any.WithLabel("chaos", "slow"),
            (cluster, token) => Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        context.OnClusterEvent(
            "counts",
            ClusterEvents.All,
            ClusterFilter.Any.WithLabel("chaos", "count"),
            async (cluster, token) =>
            {
                var key = $"count/{cluster.ClusterName}/{cluster.Trigger}";
                var count = int.Parse(await state.GetAsync(key, token) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
                await state.SetAsync(key, (count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), token);
            });
        context.OnTransition(
            "to-stopped",
            ClusterPhase.Running,
            ClusterPhase.Stopped,
            ClusterFilter.Any.WithLabel("chaos", "count"),
            (cluster, token) => state.SetAsync($"transition/{cluster.ClusterName}", $"{cluster.FromPhase}->{cluster.Phase}", token));
        context.AddValidator(
            "hangs-on-request",
            async (request, token) =>
            {
                if (request.Labels.GetValueOrDefault("chaos") == "hang-validator")
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None);
                }

                return ValidationVerdict.Allow;
            },
            TimeSpan.FromMilliseconds(300));
        context.MapRoute("GET", "greeting", (request, token) => Task.FromResult(PluginResponse.Json(new Greeting(Greeter.Version))));
        context.MapRoute("GET", "state/{prefix}", async (request, token) =>
            PluginResponse.Json(await state.ListAsync(request.RouteValues["prefix"], token)));
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed record Greeting(string Version);
