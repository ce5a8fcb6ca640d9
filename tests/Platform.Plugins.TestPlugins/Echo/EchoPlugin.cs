using System.Collections.Concurrent;
using Platform.Plugins.Sdk;
using Platform.Plugins.Sdk.Commands;
using Platform.Plugins.Sdk.Deployments;
using Platform.Plugins.Sdk.Routes;
using Platform.Plugins.Sdk.Stages;
using Platform.Plugins.TestPlugins.Echo;
using Platform.Plugins.TestPlugins.Greeting;

[assembly: PlatformPlugin(typeof(EchoPlugin))]

namespace Platform.Plugins.TestPlugins.Echo;

/// <summary>
/// Answers <c>GET greeting</c> with the version of its private Greeting library, and echoes the caller; registers a
/// deployment stage and a CLI command so the capabilities list shows both.
/// </summary>
public sealed class EchoPlugin : IPlugin
{
    public string Name => "echo";

    public Task InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        context.MapRoute("GET", "greeting", (request, token) => Task.FromResult(PluginResponse.Json(new Greeting(Greeter.Version))));
        context.MapRoute("GET", "whoami/{tag}", (request, token) =>
            Task.FromResult(PluginResponse.Json(new Caller(request.Caller.User, request.Caller.IsAdmin, request.RouteValues["tag"]))));
        context.AddDeployment(new MemoryDeployment());
        context.AddDeploymentStage(new EchoStage());
        context.AddCommand(new EchoCommand());
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

/// <summary>A stage that renders the configuration it is given into one file and passes it on as its output.</summary>
public sealed class EchoStage : IDeploymentStage
{
    public string Name => "echo-config";

    public int Priority => 90;

    public Task<IReadOnlyDictionary<string, string>> RenderAsync(StageInput input, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["echo/config.txt"] = string.Join('\n', input.Configuration.Select(p => $"{p.Key}={p.Value}")),
        });

    public Task<StageOutput> DeployAsync(StageInput input, CancellationToken cancellationToken) => Task.FromResult(new StageOutput(input.Configuration));

    public Task<StageCheck> CheckAsync(StageInput input, CancellationToken cancellationToken) => Task.FromResult(StageCheck.Pass);

    public Task DestroyAsync(StageInput input, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary><c>platform echo say &lt;text&gt; [times]</c>: writes the text, once by default.</summary>
public sealed class EchoCommand : ICliCommand
{
    public string Name => "say";

    public string Description => "Writes the text back.";

    public IReadOnlyList<CommandArgument> Arguments { get; } = [new("text", "What to write."), new("times", "How often.", "1")];

    public async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (!int.TryParse(context.Arguments["times"], System.Globalization.CultureInfo.InvariantCulture, out var times) || times < 1)
        {
            await context.Error.WriteLineAsync("times must be a positive integer");
            return 2;
        }

        for (var i = 0; i < times; i++)
        {
            await context.Output.WriteLineAsync(context.Arguments["text"]);
        }

        return 0;
    }
}
