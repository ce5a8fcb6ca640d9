using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A RabbitMQ broker: the one configured as ConnectionStrings:&lt;name&gt;, else a local node we run.</summary>
public sealed class RabbitMqResource : Resource, IResourceWithConnectionString
{
    public const int DefaultPort = 5772;
    private const string ContainerImage = "docker.io/library/rabbitmq:3.13";

    private readonly string? _configuredConnectionString;
    private readonly int _port;
    private RabbitMqServer? _server;
    private ContainerServer? _container;
    private string? _connectionString;
    private string? _dataDirectory;

    internal RabbitMqResource(string name, int port, string? configuredConnectionString) : base(name)
    {
        _port = port;
        _configuredConnectionString = configuredConnectionString;
        _connectionString = configuredConnectionString;
    }

    public bool IsExternal => _configuredConnectionString is not null;
    public string? ConnectionString => _connectionString;
    public override int? Port => IsExternal ? null : _port;
    public override string? DataDirectory => _dataDirectory;
    public override IReadOnlyList<string> RecentOutput => _server?.RecentOutput ?? _container?.RecentOutput ?? [];
    public override string DisplayEndpoint => _connectionString is null ? $"127.0.0.1:{_port}" : SecretMask.ConnectionString(_connectionString);

    public override IReadOnlyList<int> ProcessIds =>
        _server is not null ? [_server.ProcessId, _server.EpmdProcessId] : _container is not null ? [_container.ProcessId] : [];

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        if (_configuredConnectionString is not null)
        {
            Note = $"configured (ConnectionStrings:{Name})";
            var uri = new Uri(_configuredConnectionString);
            await WaitUntilAsync(token => AmqpProbe.AnswersAsync(uri.Host, uri.IsDefaultPort ? 5672 : uri.Port, token),
                context.StartTimeout(this, TimeSpan.FromSeconds(30)), $"The configured RabbitMQ ({SecretMask.ConnectionString(_configuredConnectionString)})", ct);
            return;
        }

        _dataDirectory = context.DataDirectoryFor(this);
        var source = await context.Locator.LocateAsync("RabbitMQ", "rabbitmq-server", () => ExecutableSearch.RabbitMqServerScript() is not null && ExecutableSearch.Epmd() is not null, ct);
        if (source == InfrastructureSource.Container)
        {
            await StartContainerAsync(context, ct);
            return;
        }
        _server = await RabbitMqServer.StartAsync(new RabbitMqServerOptions(_dataDirectory)
        {
            Port = _port,
            Output = context.OutputOf(this),
            StartTimeout = context.StartTimeout(this, TimeSpan.FromSeconds(90)),
        }, ct);
        _connectionString = _server.ConnectionString;
        Note = $"RabbitMQ node {_server.NodeName}, started in {_server.StartupTime.TotalSeconds:0.0} s";
        context.PidFile.Record(_server.ProcessId);
        context.PidFile.Record(_server.EpmdProcessId);
    }

    internal override async Task StopAsync(CancellationToken ct)
    {
        if (_server is not null)
            await _server.StopAsync(ct);
        if (_container is not null)
            await _container.StopAsync(ct);
    }

    internal override void Kill()
    {
        foreach (var pid in ProcessIds)
            ProcessGroup.Kill(pid);
    }

    private async Task StartContainerAsync(RunContext context, CancellationToken ct)
    {
        Directory.CreateDirectory(_dataDirectory!);
        var password = GeneratedSecret.LoadOrCreate(Path.Combine(_dataDirectory!, "rabbitmq.password"));
        var runtime = (await ContainerRuntime.DetectAsync(ct))!;
        _connectionString = $"amqp://platform:{password}@127.0.0.1:{_port}/";
        _container = await ContainerServer.StartAsync(runtime,
            new ContainerSpec($"platform-{Name}-{_port}", ContainerImage, _port, 5672)
            {
                Environment = new Dictionary<string, string> { ["RABBITMQ_DEFAULT_USER"] = "platform", ["RABBITMQ_DEFAULT_PASS"] = password },
                Volumes = [(Path.Combine(_dataDirectory!, "container-data"), "/var/lib/rabbitmq")],
            },
            token => AmqpProbe.AnswersAsync("127.0.0.1", _port, token), context.StartTimeout(this, TimeSpan.FromSeconds(120)), context.OutputOf(this), ct);
        Note = $"container {ContainerImage} ({runtime.Name})";
        context.PidFile.Record(_container.ProcessId);
    }

    private static async Task WaitUntilAsync(Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await isReady(ct))
        {
            if (DateTime.UtcNow > deadline)
                throw new InfrastructureException($"{what} did not answer within {timeout.TotalSeconds:0} s.");
            await Task.Delay(500, ct);
        }
    }
}
