using System.Diagnostics;

namespace Platform.Hosting.Infrastructure;

/// <summary>
/// Object storage for local runs: MinIO when a <c>minio</c> binary is on PATH (S3 API, the bucket is created by
/// the services on first use), otherwise a plain folder that the services read and write directly.
/// </summary>
public sealed class ObjectStoreServer : IAsyncDisposable
{
    private const string AccessKey = "platform";

    private readonly ChildProcess? _minio;

    private ObjectStoreServer(string connectionString, string description, ChildProcess? minio, int port)
    {
        ConnectionString = connectionString;
        Description = description;
        _minio = minio;
        Port = port;
    }

    /// <summary><c>Endpoint=http://127.0.0.1:port;AccessKey=..;SecretKey=..;Bucket=..</c> or <c>Folder=/absolute/path</c>.</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    public bool IsFolder => _minio is null;

    /// <summary>0 for the folder store.</summary>
    public int Port { get; }

    /// <summary>0 for the folder store.</summary>
    public int ProcessId => _minio?.Id ?? 0;

    public IReadOnlyList<string> RecentOutput => _minio?.Tail.Lines ?? [];

    public static async Task<ObjectStoreServer> StartAsync(ObjectStoreServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(root);
        if (ExecutableSearch.OnPath("minio") is not { } minio)
        {
            var folder = Path.Combine(root, options.Bucket);
            Directory.CreateDirectory(folder);
            return new ObjectStoreServer($"Folder={folder}", $"local folder store at {folder} (no minio binary on PATH)", null, 0);
        }
        return await StartMinioAsync(minio, root, options, ct);
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_minio is not null)
            await _minio.StopAsync(TimeSpan.FromSeconds(15), UnixSignal.Terminate, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_minio is not null)
            await _minio.DisposeAsync();
    }

    private static async Task<ObjectStoreServer> StartMinioAsync(string minio, string root, ObjectStoreServerOptions options, CancellationToken ct)
    {
        var secret = GeneratedSecret.LoadOrCreate(Path.Combine(root, "minio.secret"));
        var port = options.Port == 0 ? FreePort.Pick() : options.Port;
        var process = ChildProcess.Start(new ChildProcessStartInfo(minio,
            ["server", Path.Combine(root, "data"), "--address", $"127.0.0.1:{port}", "--console-address", $"127.0.0.1:{FreePort.Pick()}", "--quiet"])
        {
            Environment = new Dictionary<string, string?> { ["MINIO_ROOT_USER"] = AccessKey, ["MINIO_ROOT_PASSWORD"] = secret },
            Output = options.Output,
        });
        var server = new ObjectStoreServer(
            $"Endpoint=http://127.0.0.1:{port};AccessKey={AccessKey};SecretKey={secret};Bucket={options.Bucket}", $"MinIO ({minio})", process, port);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new InfrastructureException($"MinIO exited with code {process.Exited.Result} before becoming ready on port {port}.", process.Tail.Lines);
            if (stopwatch.Elapsed > options.StartTimeout)
            {
                await server.StopAsync(CancellationToken.None);
                throw new InfrastructureException($"MinIO was not ready on port {port} within {options.StartTimeout.TotalSeconds:0} s.", process.Tail.Lines);
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/minio/health/ready"), ct);
                if (response.IsSuccessStatusCode)
                    return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }
            await Task.Delay(200, ct);
        }
    }
}
