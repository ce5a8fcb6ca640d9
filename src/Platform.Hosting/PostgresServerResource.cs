using Npgsql;
using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A PostgreSQL server: the one configured as ConnectionStrings:&lt;name&gt;, else a local one we run.</summary>
public sealed class PostgresServerResource : ServerResource
{
    public const int DefaultPort = 5532;
    private const string ContainerImage = "docker.io/library/postgres:15";

    private PostgresServer? _server;

    internal PostgresServerResource(string name, int port, string? configuredConnectionString) : base(name, port, configuredConnectionString)
    {
    }

    public IReadOnlyList<PostgresDatabaseResource> Databases => DatabaseList;

    internal List<PostgresDatabaseResource> DatabaseList { get; } = [];

    private protected override string What => "PostgreSQL";
    private protected override string DebianPackage => "postgresql";
    private protected override IReadOnlyList<int> LocalProcessIds => _server is null ? [] : [_server.ProcessId];
    private protected override IReadOnlyList<string>? LocalOutput => _server?.RecentOutput;

    private protected override bool IsInstalledLocally() => ExecutableSearch.PostgresBinDirectory() is not null;

    private protected override async Task<bool> AnswersAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
            await connection.OpenAsync(ct);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private protected override async Task<LocalServerStart> StartLocalAsync(RunContext context, string dataDirectory, CancellationToken ct)
    {
        _server = await PostgresServer.StartAsync(new PostgresServerOptions(dataDirectory)
        {
            Port = ServerPort,
            Output = context.OutputOf(this),
            StartTimeout = context.StartTimeout(this, TimeSpan.FromSeconds(60)),
        }, ct);
        context.PidFile.Record(_server.ProcessId, UnixSignal.Interrupt); // SIGTERM would wait for every client to leave
        return new LocalServerStart(
            _server.GetConnectionString(),
            $"PostgreSQL from {Path.GetDirectoryName(ExecutableSearch.PostgresBinDirectory())}, started in {_server.StartupTime.TotalSeconds:0.0} s");
    }

    private protected override ContainerServerStart ContainerFor(string dataDirectory, string password) => new(
        new ContainerSpec($"platform-{Name}-{ServerPort}", ContainerImage, ServerPort, 5432)
        {
            Environment = new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = password },
            Volumes = [(Path.Combine(dataDirectory, "container-pgdata"), "/var/lib/postgresql/data")],
        },
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = ServerPort, Username = "postgres", Password = password, Database = "postgres" }.ConnectionString);

    private protected override async Task StopLocalAsync(CancellationToken ct)
    {
        if (_server is not null)
            await _server.StopAsync(ct);
    }
}
