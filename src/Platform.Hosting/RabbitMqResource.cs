using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A RabbitMQ broker: the one configured as ConnectionStrings:&lt;name&gt;, else a local node we run.</summary>
public sealed class RabbitMqResource : ServerResource
{
    public const int DefaultPort = 5772;
    private const string ContainerImage = "docker.io/library/rabbitmq:3.13";

    private RabbitMqServer? _server;

    internal RabbitMqResource(string name, int port, string? configuredConnectionString) : base(name, port, configuredConnectionString)
    {
    }

    private protected override string What => "RabbitMQ";
    private protected override string DebianPackage => "rabbitmq-server";
    private protected override IReadOnlyList<int> LocalProcessIds => _server is null ? [] : [_server.ProcessId, _server.EpmdProcessId];
    private protected override IReadOnlyList<string>? LocalOutput => _server?.RecentOutput;

    private protected override bool IsInstalledLocally() => ExecutableSearch.RabbitMqServerScript() is not null && ExecutableSearch.Epmd() is not null;

    private protected override Task<bool> AnswersAsync(string connectionString, CancellationToken ct)
    {
        var uri = new Uri(connectionString);
        return AmqpProbe.AnswersAsync(uri.Host, uri.IsDefaultPort ? 5672 : uri.Port, ct);
    }

    private protected override async Task<LocalServerStart> StartLocalAsync(RunContext context, string dataDirectory, CancellationToken ct)
    {
        _server = await RabbitMqServer.StartAsync(new RabbitMqServerOptions(dataDirectory)
        {
            Port = ServerPort,
            Output = context.OutputOf(this),
            StartTimeout = context.StartTimeout(this, TimeSpan.FromSeconds(90)),
        }, ct);
        context.PidFile.Record(_server.ProcessId);
        context.PidFile.Record(_server.EpmdProcessId);
        return new LocalServerStart(_server.ConnectionString, $"RabbitMQ node {_server.NodeName}, started in {_server.StartupTime.TotalSeconds:0.0} s");
    }

    private protected override ContainerServerStart ContainerFor(string dataDirectory, string password) => new(
        new ContainerSpec($"platform-{Name}-{ServerPort}", ContainerImage, ServerPort, 5672)
        {
            Environment = new Dictionary<string, string> { ["RABBITMQ_DEFAULT_USER"] = "platform", ["RABBITMQ_DEFAULT_PASS"] = password },
            Volumes = [(Path.Combine(dataDirectory, "container-data"), "/var/lib/rabbitmq")],
        },
        $"amqp://platform:{password}@127.0.0.1:{ServerPort}/");

    private protected override async Task StopLocalAsync(CancellationToken ct)
    {
        if (_server is not null)
            await _server.StopAsync(ct);
    }
}
