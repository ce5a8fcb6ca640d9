using System.Diagnostics;
using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A .NET project of this repository, run from its build output on a stable loopback port.</summary>
public sealed class ProjectResource : Resource
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(15);

    private ChildProcess? _process;
    private int _port;

    internal ProjectResource(string name, string projectPath, int port) : base(name)
    {
        ProjectPath = projectPath;
        _port = port;
    }

    /// <summary>Absolute path of the .csproj.</summary>
    public string ProjectPath { get; }

    public override int? Port => _port;

    public string Url => $"http://127.0.0.1:{_port}";

    public override string DisplayEndpoint => Url;

    /// <summary>Reachable from outside the cluster when published (a LoadBalancer service); locally every port is loopback.</summary>
    public bool HasExternalHttpEndpoints { get; internal set; }

    public override IReadOnlyList<int> ProcessIds => _process is { HasExited: false } p ? [p.Id] : [];

    public override IReadOnlyList<string> RecentOutput => _process?.Tail.Lines ?? [];

    /// <summary>Infrastructure whose connection string this project receives (ConnectionStrings__&lt;name&gt;).</summary>
    public IReadOnlyList<IResourceWithConnectionString> ConnectionReferences => ConnectionReferenceList;

    /// <summary>Projects whose URL this project receives (services__&lt;name&gt;__http__0).</summary>
    public IReadOnlyList<ProjectResource> ServiceReferences => ServiceReferenceList;

    /// <summary>A connection string is only known once its resource has started, so references order the start too.</summary>
    public override IEnumerable<Resource> StartsAfter => WaitList.Concat(ConnectionReferenceList.OfType<Resource>()).Distinct();

    internal List<IResourceWithConnectionString> ConnectionReferenceList { get; } = [];
    internal List<ProjectResource> ServiceReferenceList { get; } = [];
    internal Dictionary<string, string> ExtraEnvironment { get; } = [];
    internal Dictionary<string, SecretParameter> SecretEnvironment { get; } = [];

    /// <summary>Set only when the AppHost runs the system here (local paths, local policies); never published.</summary>
    internal Dictionary<string, string> LocalEnvironment { get; } = [];

    /// <summary>Programs the project runs itself (Dask for Clusters), ensured like infrastructure before it starts.</summary>
    internal List<HostPrerequisite> Prerequisites { get; } = [];

    /// <summary>Exits after it was healthy: the supervisor reports it.</summary>
    internal Task<int>? Exited => _process?.Exited;

    internal void SetPort(int port) => _port = port;

    /// <summary>Everything the project is told, the Aspire way; <c>null</c> removes an inherited variable.</summary>
    internal Dictionary<string, string?> BuildEnvironment(RunContext context)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = Url,
            // Inherited port settings would fight ASPNETCORE_URLS; the AppHost owns the port.
            ["ASPNETCORE_HTTP_PORTS"] = null,
            ["ASPNETCORE_HTTPS_PORTS"] = null,
            ["HTTP_PORTS"] = null,
            ["HTTPS_PORTS"] = null,
            ["ASPNETCORE_ENVIRONMENT"] = context.ProjectEnvironmentName,
            ["DOTNET_ENVIRONMENT"] = null,
            ["OTEL_SERVICE_NAME"] = Name,
        };
        if (context.OtlpEndpoint is { } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = context.OtlpProtocol;
        }
        foreach (var reference in ConnectionReferenceList)
        {
            environment[$"ConnectionStrings__{reference.Name}"] = reference.ConnectionString
                ?? throw new InvalidOperationException($"'{Name}' references '{reference.Name}', whose connection string is not known yet (it has not started).");
        }
        foreach (var service in ServiceReferenceList)
            environment[$"services__{service.Name}__http__0"] = service.Url;
        foreach (var (key, value) in ExtraEnvironment)
            environment[key] = value;
        foreach (var (key, secret) in SecretEnvironment)
            environment[key] = secret.Value;
        foreach (var (key, value) in LocalEnvironment)
            environment[key] = value;
        return environment;
    }

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        foreach (var prerequisite in Prerequisites)
            await context.Locator.EnsureInstalledAsync(prerequisite.What, prerequisite.DebianPackage, () => File.Exists(prerequisite.Executable), ct);
        var assembly = ProjectOutput.Locate(ProjectPath, context.BuildConfiguration)
            ?? throw new InfrastructureException(
                $"'{Name}' is not built: {ProjectOutput.ExpectedPath(ProjectPath, context.BuildConfiguration)} does not exist. "
                + $"Run: dotnet build \"{ProjectPath}\" -c {context.BuildConfiguration}");
        var stopwatch = Stopwatch.StartNew();
        _process = ChildProcess.Start(new ChildProcessStartInfo(DotnetHost.Path, [assembly])
        {
            Environment = BuildEnvironment(context),
            WorkingDirectory = Path.GetDirectoryName(ProjectPath), // content root = project folder, as with dotnet run
            Output = context.OutputOf(this),
        });

        var timeout = context.StartTimeout(this, TimeSpan.FromSeconds(90));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (!await IsHealthyAsync(deadline.Token))
            {
                if (_process.HasExited)
                    throw new InfrastructureException($"'{Name}' exited with code {_process.Exited.Result} before /health answered 200.", _process.Tail.Lines);
                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InfrastructureException($"'{Name}' did not answer 200 on {Url}/health within {timeout.TotalSeconds:0} s.", _process.Tail.Lines);
        }
        Note = $"healthy in {stopwatch.Elapsed.TotalSeconds:0.0} s";
        context.PidFile.Record(_process.Id);
    }

    internal override async Task StopAsync(CancellationToken ct)
    {
        if (_process is null)
            return;
        // SIGTERM: ASP.NET Core's graceful shutdown (drain requests, stop hosted services, flush telemetry).
        await _process.StopAsync(ShutdownGrace, UnixSignal.Terminate, ct);
    }

    internal override void Kill()
    {
        if (_process is { HasExited: false } process)
            ProcessGroup.Kill(process.Id);
    }

    private async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"{Url}/health"), ct);
            return response.StatusCode == System.Net.HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false; // this one request timed out; the overall deadline decides
        }
    }
}

/// <summary>An executable a project needs on the host, and the Debian package that provides it.</summary>
internal sealed record HostPrerequisite(string What, string DebianPackage, string Executable);
