using Npgsql;
using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A PostgreSQL server: the one configured as ConnectionStrings:&lt;name&gt;, else a local one we run.</summary>
public sealed class PostgresServerResource : Resource, IResourceWithConnectionString
{
    public const int DefaultPort = 5532;
    private const string ContainerImage = "docker.io/library/postgres:15";

    private readonly string? _configuredConnectionString;
    private readonly int _port;
    private PostgresServer? _server;
    private ContainerServer? _container;
    private string? _connectionString;
    private string? _dataDirectory;

    internal PostgresServerResource(string name, int port, string? configuredConnectionString) : base(name)
    {
        _port = port;
        _configuredConnectionString = configuredConnectionString;
        _connectionString = configuredConnectionString;
    }

    public bool IsExternal => _configuredConnectionString is not null;
    public IReadOnlyList<PostgresDatabaseResource> Databases => DatabaseList;
    public string? ConnectionString => _connectionString;
    public override int? Port => IsExternal ? null : _port;
    public override string? DataDirectory => _dataDirectory;
    public override IReadOnlyList<int> ProcessIds => _server is not null ? [_server.ProcessId] : _container is not null ? [_container.ProcessId] : [];
    public override IReadOnlyList<string> RecentOutput => _server?.RecentOutput ?? _container?.RecentOutput ?? [];
    public override string DisplayEndpoint => _connectionString is null ? $"127.0.0.1:{_port}" : SecretMask.ConnectionString(_connectionString);

    internal List<PostgresDatabaseResource> DatabaseList { get; } = [];

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        if (_configuredConnectionString is not null)
        {
            Note = $"configured (ConnectionStrings:{Name})";
            await WaitUntilConnectableAsync(_configuredConnectionString, context.StartTimeout(this, TimeSpan.FromSeconds(30)), ct);
            return;
        }

        _dataDirectory = context.DataDirectoryFor(this);
        var source = await context.Locator.LocateAsync("PostgreSQL", "postgresql", () => ExecutableSearch.PostgresBinDirectory() is not null, ct);
        if (source == InfrastructureSource.Container)
        {
            await StartContainerAsync(context, ct);
            return;
        }
        _server = await PostgresServer.StartAsync(new PostgresServerOptions(_dataDirectory)
        {
            Port = _port,
            Output = context.OutputOf(this),
            StartTimeout = context.StartTimeout(this, TimeSpan.FromSeconds(60)),
        }, ct);
        _connectionString = _server.GetConnectionString();
        Note = $"PostgreSQL from {Path.GetDirectoryName(ExecutableSearch.PostgresBinDirectory())}, started in {_server.StartupTime.TotalSeconds:0.0} s";
        context.PidFile.Record(_server.ProcessId, UnixSignal.Interrupt); // SIGTERM would wait for every client to leave
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
        if (_server is { ProcessId: > 0 } server)
            ProcessGroup.Kill(server.ProcessId);
        if (_container is { ProcessId: > 0 } container)
            ProcessGroup.Kill(container.ProcessId);
    }

    private async Task StartContainerAsync(RunContext context, CancellationToken ct)
    {
        Directory.CreateDirectory(_dataDirectory!);
        var password = GeneratedSecret.LoadOrCreate(Path.Combine(_dataDirectory!, "postgres.password"));
        var runtime = (await ContainerRuntime.DetectAsync(ct))!;
        _connectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Username = "postgres", Password = password, Database = "postgres" }.ConnectionString;
        var probe = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
        _container = await ContainerServer.StartAsync(runtime,
            new ContainerSpec($"platform-{Name}-{_port}", ContainerImage, _port, 5432)
            {
                Environment = new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = password },
                Volumes = [(Path.Combine(_dataDirectory!, "container-pgdata"), "/var/lib/postgresql/data")],
            },
            async token => await CanConnectAsync(probe, token), context.StartTimeout(this, TimeSpan.FromSeconds(120)), context.OutputOf(this), ct);
        Note = $"container {ContainerImage} ({runtime.Name})";
        context.PidFile.Record(_container.ProcessId);
    }

    private static async Task WaitUntilConnectableAsync(string connectionString, TimeSpan timeout, CancellationToken ct)
    {
        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = DateTime.UtcNow + timeout;
        while (!await CanConnectAsync(probe, ct))
        {
            if (DateTime.UtcNow > deadline)
                throw new InfrastructureException($"The configured PostgreSQL ({SecretMask.ConnectionString(connectionString)}) did not accept a connection within {timeout.TotalSeconds:0} s.");
            await Task.Delay(500, ct);
        }
    }

    private static async Task<bool> CanConnectAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}
