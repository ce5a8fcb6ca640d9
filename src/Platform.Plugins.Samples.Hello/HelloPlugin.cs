using System.Globalization;
using Platform.Plugins.Samples.Hello;
using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Handlers;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Validation;

[assembly: PlatformPlugin(typeof(HelloPlugin))]

namespace Platform.Plugins.Samples.Hello;

/// <summary>
/// Greets every RUNNING cluster labelled <c>hello=yes</c> (records its name, annotates it), lists the caller's greeted clusters at
/// <c>GET /api/plugins/hello/seen</c> (an admin's: all), refuses clusters labelled <c>hello=forbidden</c>, and keeps clusters labelled
/// <c>hello=small</c> at <c>SmallMaxWorkers</c> (2) workers or fewer: a scale above it, or an adapt without such a maximum, is refused.
/// </summary>
public sealed class HelloPlugin : IPlugin
{
    private const string SeenPrefix = "seen/";

    public string Name => "hello";

    public Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = context.State;
        context.OnClusterEvent(
            "greet",
            ClusterEvents.Running,
            ClusterFilter.Any.WithLabel("hello", "yes"),
            async (cluster, token) =>
            {
                await state.SetAsync($"{SeenPrefix}{Uri.EscapeDataString(cluster.Owner)}/{cluster.ClusterName}", DateTimeOffset.UtcNow.ToString("O"), token);
                cluster.Annotate("hello/greeted", $"Hello, {cluster.Owner}!");
            });
        // A user sees the greetings of their own clusters only (cluster names are theirs to share); an admin sees all.
        context.MapRoute("GET", "seen", async (request, token) =>
        {
            var prefix = request.Caller.IsAdmin ? SeenPrefix : $"{SeenPrefix}{Uri.EscapeDataString(request.Caller.User)}/";
            var seen = await state.ListAsync(prefix, token);
            return PluginResponse.Json(new SeenClusters([.. seen.Keys.Select(k => k[(k.LastIndexOf('/') + 1)..])]));
        });
        context.AddValidator("no-forbidden", (request, token) => ValueTask.FromResult(
            request.Labels.TryGetValue("hello", out var value) && value == "forbidden"
                ? ValidationVerdict.Refuse("The hello plugin refuses clusters labelled hello=forbidden.")
                : ValidationVerdict.Allow));
        var smallMax = context.Settings.TryGetValue("SmallMaxWorkers", out var configured) && int.TryParse(configured, CultureInfo.InvariantCulture, out var n) ? n : 2;
        context.AddValidator("small-stays-small", (request, token) => ValueTask.FromResult(
            request.Labels.TryGetValue("hello", out var value) && value == "small" && request.Operation != ValidationOperation.Create
                && (request.Workers is null || request.Workers > smallMax)
                ? ValidationVerdict.Refuse($"The hello plugin keeps clusters labelled hello=small at {smallMax} workers or fewer.")
                : ValidationVerdict.Allow));
        context.Logger.LogHelloLoaded();
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The body of <c>GET /api/plugins/hello/seen</c>.</summary>
public sealed record SeenClusters(IReadOnlyList<string> Seen);
