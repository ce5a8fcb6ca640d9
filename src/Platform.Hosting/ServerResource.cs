using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>How a server we run ourselves started: its connection string, what to tell the user, the PIDs it owns.</summary>
internal sealed record LocalServerStart(string ConnectionString, string Note);

/// <summary>What a server in a container needs: its spec and the connection string it will answer on.</summary>
internal sealed record ContainerServerStart(ContainerSpec Spec, string ConnectionString);

/// <summary>
/// Infrastructure found the Aspire way: the server configured as ConnectionStrings:&lt;name&gt; (we start nothing);
/// else a local server binary we run; else a container. Subclasses say how to start, probe and describe their server.
/// </summary>
public abstract class ServerResource : Resource, IResourceWithConnectionString
{
    private static readonly TimeSpan ConfiguredPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ContainerPatience = TimeSpan.FromSeconds(120);

    private readonly string? _configuredConnectionString;
    private ContainerServer? _container;
    private string? _dataDirectory;

    private protected ServerResource(string name, int port, string? configuredConnectionString) : base(name)
    {
        ServerPort = port;
        _configuredConnectionString = configuredConnectionString;
        ConnectionString = configuredConnectionString;
    }

    public bool IsExternal => _configuredConnectionString is not null;
    public string? ConnectionString { get; private set; }
    public override int? Port => IsExternal ? null : ServerPort;
    public override string? DataDirectory => _dataDirectory;
    public override string DisplayEndpoint => ConnectionString is null ? $"127.0.0.1:{ServerPort}" : SecretMask.ConnectionString(ConnectionString);
    public override IReadOnlyList<string> RecentOutput => LocalOutput ?? _container?.RecentOutput ?? [];
    public override IReadOnlyList<int> ProcessIds => LocalProcessIds is { Count: > 0 } local ? local : _container is not null ? [_container.ProcessId] : [];

    private protected int ServerPort { get; }

    /// <summary>"PostgreSQL", "RabbitMQ": what the user reads in messages.</summary>
    private protected abstract string What { get; }

    private protected abstract string DebianPackage { get; }

    private protected abstract IReadOnlyList<int> LocalProcessIds { get; }

    private protected abstract IReadOnlyList<string>? LocalOutput { get; }

    private protected abstract bool IsInstalledLocally();

    /// <summary>Whether a server answers on this connection string (a real protocol handshake, not just a port).</summary>
    private protected abstract Task<bool> AnswersAsync(string connectionString, CancellationToken ct);

    private protected abstract Task<LocalServerStart> StartLocalAsync(RunContext context, string dataDirectory, CancellationToken ct);

    private protected abstract ContainerServerStart ContainerFor(string dataDirectory, string password);

    private protected abstract Task StopLocalAsync(CancellationToken ct);

    internal sealed override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        if (_configuredConnectionString is not null)
        {
            Note = $"configured (ConnectionStrings:{Name})";
            await WaitUntilAnswersAsync(_configuredConnectionString, context.StartTimeout(this, ConfiguredPatience), $"The configured {What}", ct);
            return;
        }

        _dataDirectory = context.DataDirectoryFor(this);
        var source = await context.Locator.LocateAsync(What, DebianPackage, IsInstalledLocally, ct);
        if (source == InfrastructureSource.Container)
        {
            await StartContainerAsync(context, _dataDirectory, ct);
            return;
        }

        var local = await StartLocalAsync(context, _dataDirectory, ct);
        ConnectionString = local.ConnectionString;
        Note = local.Note;
    }

    internal sealed override async Task StopAsync(CancellationToken ct)
    {
        await StopLocalAsync(ct);
        if (_container is not null)
            await _container.StopAsync(ct);
    }

    internal sealed override void Kill()
    {
        foreach (var pid in ProcessIds.Where(p => p > 0))
            ProcessGroup.Kill(pid);
    }

    private async Task StartContainerAsync(RunContext context, string dataDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDirectory);
        var password = GeneratedSecret.LoadOrCreate(Path.Combine(dataDirectory, $"{Name}.password"));
        var runtime = (await ContainerRuntime.DetectAsync(ct))!;
        var (spec, connectionString) = ContainerFor(dataDirectory, password);
        _container = await ContainerServer.StartAsync(runtime, spec, token => AnswersAsync(connectionString, token),
            context.StartTimeout(this, ContainerPatience), context.OutputOf(this), ct);
        ConnectionString = connectionString;
        Note = $"container {spec.Image} ({runtime.Name})";
        context.PidFile.Record(_container.ProcessId);
    }

    private async Task WaitUntilAnswersAsync(string connectionString, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await AnswersAsync(connectionString, ct))
        {
            if (DateTime.UtcNow > deadline)
                throw new InfrastructureException($"{what} ({SecretMask.ConnectionString(connectionString)}) did not answer within {timeout.TotalSeconds:0} s.");
            await Task.Delay(500, ct);
        }
    }
}
