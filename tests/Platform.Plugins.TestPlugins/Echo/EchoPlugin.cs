using System.Collections.Concurrent;
using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Deployments;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.TestPlugins.Echo;
using Platform.Plugins.TestPlugins.Greeting;

[assembly: PlatformPlugin(typeof(EchoPlugin))]

namespace Platform.Plugins.TestPlugins.Echo;

/// <summary>Answers <c>GET greeting</c> with the version of its private Greeting library, and echoes the caller.</summary>
public sealed class EchoPlugin : IPlugin
{
    public string Name => "echo";

    public Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        context.MapRoute("GET", "greeting", (request, token) => Task.FromResult(PluginResponse.Json(new Greeting(Greeter.Version))));
        context.MapRoute("GET", "whoami/{tag}", (request, token) =>
            Task.FromResult(PluginResponse.Json(new Caller(request.Caller.User, request.Caller.IsAdmin, request.RouteValues["tag"]))));
        context.AddDeployment(new MemoryDeployment());
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed record Greeting(string Version);

public sealed record Caller(string User, bool IsAdmin, string Tag);

/// <summary>A deployment kind that only remembers what it deployed, for the deployments API tests.</summary>
public sealed class MemoryDeployment : IDeploymentPlugin
{
    private readonly ConcurrentDictionary<string, string> deployed = new();

    public string Kind => "memory";

    public Task<DeploymentStatus> DeployAsync(DeploymentConfig config, CancellationToken cancellationToken)
    {
        deployed[config.Name] = config.RequestedBy;
        return Task.FromResult(new DeploymentStatus(config.Name, "ready", $"deployed for {config.RequestedBy}"));
    }

    public Task<DeploymentStatus> StatusAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(deployed.TryGetValue(name, out var by) ? new DeploymentStatus(name, "ready", $"deployed for {by}") : new DeploymentStatus(name, "unknown", null));
}
