using Platform.Hosting.Infrastructure;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>Object storage: the store configured as ConnectionStrings:&lt;name&gt;, else MinIO or a local folder.</summary>
public sealed class ObjectStoreResource : Resource, IResourceWithConnectionString
{
    public const int DefaultPort = 5790;

    private readonly string? _configuredConnectionString;
    private readonly int _port;
    private ObjectStoreServer? _server;
    private string? _dataDirectory;

    internal ObjectStoreResource(string name, int port, string? configuredConnectionString) : base(name)
    {
        _port = port;
        _configuredConnectionString = configuredConnectionString;
    }

    public bool IsExternal => _configuredConnectionString is not null;
    public string? ConnectionString => _configuredConnectionString ?? _server?.ConnectionString;

    /// <summary>Only MinIO takes a port; the folder store has none, so there is nothing to check up front.</summary>
    public override int? Port => IsExternal || ExecutableSearch.OnPath("minio") is null ? null : _port;

    public override string? DataDirectory => _dataDirectory;
    public override IReadOnlyList<int> ProcessIds => _server is { ProcessId: > 0 } s ? [s.ProcessId] : [];
    public override IReadOnlyList<string> RecentOutput => _server?.RecentOutput ?? [];
    public override string DisplayEndpoint => ConnectionString is { } c ? SecretMask.ConnectionString(c) : $"127.0.0.1:{_port}";

    internal override async Task StartAsync(RunContext context, CancellationToken ct)
    {
        if (_configuredConnectionString is not null)
        {
            Note = $"configured (ConnectionStrings:{Name})";
            return;
        }
        _dataDirectory = context.DataDirectoryFor(this);
        _server = await ObjectStoreServer.StartAsync(new ObjectStoreServerOptions(_dataDirectory) { Port = _port, Output = context.OutputOf(this) }, ct);
        Note = _server.Description;
        context.Console.Info($"Object store '{Name}': {_server.Description}.");
        if (_server.ProcessId > 0)
            context.PidFile.Record(_server.ProcessId);
    }

    internal override async Task StopAsync(CancellationToken ct)
    {
        if (_server is not null)
            await _server.StopAsync(ct);
    }

    internal override void Kill()
    {
        if (_server is { ProcessId: > 0 } server)
            ProcessGroup.Kill(server.ProcessId);
    }
}
