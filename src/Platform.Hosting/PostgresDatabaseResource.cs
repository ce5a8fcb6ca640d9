using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>A database on a <see cref="PostgresServerResource"/>, created on first start; "healthy" means it exists.</summary>
public sealed class PostgresDatabaseResource : Resource, IResourceWithConnectionString
{
    private readonly string? _configuredConnectionString;

    internal PostgresDatabaseResource(string name, PostgresServerResource server, string? configuredConnectionString) : base(name)
    {
        Server = server;
        _configuredConnectionString = configuredConnectionString;
    }

    public PostgresServerResource Server { get; }

    public string DatabaseName => Name;

    public string? ConnectionString => _configuredConnectionString
        ?? (Server.ConnectionString is { } server ? PostgresDatabases.WithDatabase(server, DatabaseName) : null);

    public override IEnumerable<Resource> StartsAfter => _configuredConnectionString is null ? WaitList.Append(Server) : WaitList;

    public override string DisplayEndpoint => _configuredConnectionString is not null
        ? SecretMask.ConnectionString(_configuredConnectionString)
        : $"database '{DatabaseName}' on {Server.Name}";

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        if (_configuredConnectionString is not null)
        {
            Note = $"configured (ConnectionStrings:{Name})";
            return;
        }
        await PostgresDatabases.EnsureExistsAsync(Server.ConnectionString!, DatabaseName, ct);
    }

    internal override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
