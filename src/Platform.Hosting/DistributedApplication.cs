using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;
using Platform.Hosting.Publishing;

namespace Platform.Hosting;

/// <summary>
/// An application of infrastructure and projects, run locally by the AppHost
/// (<c>DistributedApplication.CreateBuilder(args)</c> ... <c>builder.Build().Run()</c>).
/// </summary>
public sealed class DistributedApplication
{
    private readonly DistributedApplicationBuilder _builder;

    internal DistributedApplication(DistributedApplicationBuilder builder, ResourceGraph graph)
    {
        _builder = builder;
        Graph = graph;
    }

    public ResourceGraph Graph { get; }

    public IReadOnlyList<Resource> Resources => _builder.Resources;

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(new DistributedApplicationOptions { Args = args });

    public static DistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions options) => new(options);

    /// <summary>Runs until Ctrl+C/SIGTERM; the process exit code is non-zero if something failed to start.</summary>
    public void Run() => Environment.ExitCode = RunAsync().GetAwaiter().GetResult();

    public Task<int> RunAsync(CancellationToken ct = default) => RunAsync(ConsoleOutput.ForConsole(), ct);

    internal async Task<int> RunAsync(ConsoleOutput console, CancellationToken ct)
    {
        try
        {
            if (_builder.Command == "publish")
                return Publish(console);
            if (_builder.Command != "run")
                return Unknown(console, _builder.Command);
            using var supervisor = new ProcessSupervisor(_builder, Graph, console);
            return await supervisor.RunAsync(ct);
        }
        catch (InfrastructureNotInstalledException e)
        {
            console.Error(e.Message);
            return 1;
        }
    }

    private int Publish(ConsoleOutput console)
    {
        var output = Path.GetFullPath(_builder.Configuration["output"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(_builder.RepositoryRoot, "deploy"));
        foreach (var file in ManifestPublisher.Publish(_builder.Resources, output))
            console.Info($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, file)}");
        console.Info($"Kubernetes manifests are in {output}: apply with kubectl apply -k {Path.Combine(output, "overlays", "pi")} (secrets.env is git-ignored).");
        return 0;
    }

    private static int Unknown(ConsoleOutput console, string command)
    {
        console.Error($"Unknown command '{command}'. Use no command to run the application, or 'publish [--output <folder>]'.");
        return 2;
    }
}
