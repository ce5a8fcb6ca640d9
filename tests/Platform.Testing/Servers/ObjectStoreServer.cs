using System.Diagnostics;
using Platform.Hosting.Infrastructure;
using Platform.Processes;

namespace Platform.Testing.Servers;

/// <summary>
/// Object storage for local runs, always a real S3 server: MinIO when a <c>minio</c> binary is on PATH, else the npm
/// package s3rver (<see cref="S3rver"/>). A plain folder the services read and write directly only when
/// <see cref="ObjectStoreServerOptions.Offline"/> asks for it.
/// </summary>
public sealed class ObjectStoreServer : IAsyncDisposable
{
    private const string AccessKey = "platform";

    private readonly ChildProcess? process;

    private ObjectStoreServer(string connectionString, string description, ChildProcess? server, int port)
    {
        ConnectionString = connectionString;
        Description = description;
        this.process = server;
        Port = port;
    }

    /// <summary><c>Endpoint=http://127.0.0.1:port;AccessKey=..;SecretKey=..;Bucket=..</c> or <c>Folder=/absolute/path</c>.</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    public bool IsFolder => this.process is null;

    /// <summary>0 for the folder store.</summary>
    public int Port { get; }

    /// <summary>0 for the folder store.</summary>
    public int ProcessId => this.process?.Id ?? 0;

    public IReadOnlyList<string> RecentOutput => this.process?.Tail.Lines ?? [];

    public static async Task<ObjectStoreServer> StartAsync(ObjectStoreServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(root);
        if (options.Offline)
        {
            var folder = Path.Combine(root, options.Bucket);
            Directory.CreateDirectory(folder);
            return new ObjectStoreServer($"Folder={folder}", $"local folder store at {folder} (offline)", null, 0);
        }
        // The AppHost runs the store itself (not DCP): an AppHost that was killed left it running on this data.
        await StopLeftoversAsync([Path.Combine(root, "data"), Path.Combine(root, "s3rver")], ct);
        if (ExecutableSearch.OnPath("minio") is { } minio)
        {
            return await StartMinioAsync(minio, root, options, ct);
        }

        if (S3rver.Locate() is { } s3rver)
        {
            return await StartS3rverAsync(s3rver, root, options, ct);
        }

        throw new InfrastructureException(
            $"No S3 server: neither a minio binary on PATH nor s3rver (PATH or tools/s3rver) was found. Install it with: {S3rver.InstallCommand}");
    }

    /// <summary>Stops live processes that name one of these data folders as an argument (a store of an earlier run).</summary>
    private static async Task StopLeftoversAsync(string[] dataFolders, CancellationToken ct)
    {
        var leftovers = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != Environment.ProcessId && ProcessTable.CommandLine(pid).Any(a => dataFolders.Contains(a)))
            .ToList();
        foreach (var pid in leftovers)
        {
            UnixSignal.Send(pid, UnixSignal.Terminate);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (leftovers.Any(ProcessTable.IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        foreach (var pid in leftovers.Where(ProcessTable.IsRunning))
        {
            UnixSignal.Send(pid, UnixSignal.Kill);
        }
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (this.process is not null)
        {
            await this.process.StopAsync(TimeSpan.FromSeconds(15), UnixSignal.Terminate, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (this.process is not null)
        {
            await this.process.DisposeAsync();
        }
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
        return await server.WaitUntilReadyAsync("MinIO", "/minio/health/ready", options.StartTimeout, ct);
    }

    private static async Task<ObjectStoreServer> StartS3rverAsync(IReadOnlyList<string> s3rver, string root, ObjectStoreServerOptions options, CancellationToken ct)
    {
        var port = options.Port == 0 ? FreePort.Pick() : options.Port;
        var arguments = S3rver.Arguments(Path.Combine(root, "s3rver"), port, options.Bucket);
        var process = ChildProcess.Start(new ChildProcessStartInfo(s3rver[0], [.. s3rver.Skip(1), .. arguments]) { Output = options.Output });
        var server = new ObjectStoreServer(
            $"Endpoint=http://127.0.0.1:{port};AccessKey={S3rver.AccessKey};SecretKey={S3rver.SecretKey};Bucket={options.Bucket}",
            $"s3rver ({string.Join(' ', s3rver)}) on 127.0.0.1:{port}", process, port);
        // s3rver has no health route: any HTTP answer (an unsigned request is refused) means it serves.
        return await server.WaitUntilReadyAsync("s3rver", "/", options.StartTimeout, ct);
    }

    private async Task<ObjectStoreServer> WaitUntilReadyAsync(string name, string probePath, TimeSpan startTimeout, CancellationToken ct)
    {
        var process = this.process!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var stopwatch = Stopwatch.StartNew();
        var anyAnswer = probePath == "/";
        while (true)
        {
            if (process.HasExited)
            {
                throw new InfrastructureException($"{name} exited with code {process.Exited.Result} before becoming ready on port {Port}.", process.Tail.Lines);
            }

            if (stopwatch.Elapsed > startTimeout)
            {
                await StopAsync(CancellationToken.None);
                throw new InfrastructureException($"{name} was not ready on port {Port} within {startTimeout.TotalSeconds:0} s.", process.Tail.Lines);
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}{probePath}"), ct);
                if (anyAnswer || response.IsSuccessStatusCode)
                {
                    return this;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }
            await Task.Delay(200, ct);
        }
    }
}
